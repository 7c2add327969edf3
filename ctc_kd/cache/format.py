"""How one utterance's cached teacher frames are laid out: a float32 matrix ESPnet's `kaldi_ark` loader reads.

Columns of the (T, 2k + 2) matrix: [log p(blank), log p(top-1) .. log p(top-k), log p(rest), id(top-1) .. id(top-k)].
Token ids are stored as floats (exact below 2^24), so one matrix per utterance holds everything and ESPnet's
collate pads it like any feature; log p(rest) is -inf when k covers every non-blank token.
Hidden states of distilled teacher layers go to their own arks, one (T, D) float16 matrix per utterance.
"""
import numpy as np
import torch

from ctc_kd.losses.bucketed import TeacherBuckets

POSTERIORS = "teacher_posteriors"  # ESPnet data name of the posterior matrix (the model's forward kwarg)
HIDDEN_PREFIX = "teacher_hidden_"
# ESPnet's task declares its optional data names before any config is read, so every block a cached teacher could
# have is declared: up to 64, far above the 12-18 blocks of ESPnet's recipes' encoders.
MAX_CACHED_BLOCK = 64


def hidden_name(layer: int) -> str:
    """ESPnet data name of a cached hidden layer: teacher_hidden_<block>, or teacher_hidden_out for -1."""
    return f"{HIDDEN_PREFIX}out" if layer == -1 else f"{HIDDEN_PREFIX}{layer}"


def data_names() -> tuple:
    """Every ESPnet data name the cache may give a batch: the posteriors, the encoder output, blocks 1..64."""
    return (POSTERIORS, hidden_name(-1), *(hidden_name(block) for block in range(1, MAX_CACHED_BLOCK + 1)))


def pack_frames(buckets: TeacherBuckets) -> np.ndarray:
    """(T, 2k + 2) float32 matrix of one utterance from its (T, k) ids and (T, k + 1 or k + 2) bucket log-probs."""
    ids, log_probs = buckets.ids, buckets.log_probs.float()
    if not buckets.has_rest:
        log_probs = torch.cat([log_probs, torch.full_like(log_probs[..., :1], -torch.inf)], dim=-1)
    if ids.numel() and int(ids.max()) >= 2**24:
        raise ValueError("token ids >= 2^24 do not fit the cache's float32 layout")
    return torch.cat([log_probs, ids.float()], dim=-1).cpu().numpy().astype(np.float32)


def unpack_batch(matrix: torch.Tensor, vocab_size: int) -> TeacherBuckets:
    """The (B, T, 2k + 2) padded batch of cached matrices as TeacherBuckets (rest bucket dropped when k = V - 1)."""
    width = matrix.shape[-1]
    k = (width - 2) // 2
    if width < 4 or width % 2:
        raise ValueError(f"a cached posterior matrix has {width} columns; expected 2k + 2 for some k >= 1")
    if k > vocab_size - 1:
        raise ValueError(f"the cache keeps the top {k} tokens but the student has only {vocab_size - 1} non-blank "
                         "tokens: the cache was made with another token list")
    log_probs = matrix[..., : k + 2].float()
    if k == vocab_size - 1:
        log_probs = log_probs[..., : k + 1]
    return TeacherBuckets(ids=matrix[..., k + 2:].round().long(), log_probs=log_probs)
