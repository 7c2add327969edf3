"""Batched greedy CTC decoding of a plain ESPnet ASR model, giving each utterance what decoding it alone gives."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import yaml

from ctc_kd.inference.padding_mask import padding_invariant

Audio = Union[np.ndarray, torch.Tensor]


@dataclass
class Hypothesis:
    """One utterance's greedy result; `posteriors` (frames x vocabulary CTC log-posteriors) only on request.

    `frames` and `blank_frames` count its encoder frames and those whose best-path label is blank: how sparse the
    model's CTC output is (the regime blank-aware KD methods assume).
    """

    token_int: List[int]
    token: List[str]
    text: str
    posteriors: Optional[np.ndarray] = None
    frames: int = 0
    blank_frames: int = 0


def too_short(error: Exception) -> bool:
    """Whether encoding failed because the input is shorter than the frontend's window (the STFT's reflect padding)
    or than the subsampling's receptive field."""
    from espnet.nets.pytorch_backend.transformer.subsampling import TooShortUttError

    return isinstance(error, TooShortUttError) or (
        isinstance(error, RuntimeError) and "Padding size should be less than" in str(error))


def collapse(ids: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> List[List[int]]:
    """CTC best-path labels of a batch of frame labels: merge repeats, drop blanks and frames beyond each length."""
    if ids.dim() != 2:
        raise ValueError(f"expected (batch, frames) label ids, got shape {tuple(ids.shape)}")
    previous = torch.cat([torch.full_like(ids[:, :1], -1), ids[:, :-1]], dim=1)
    frames = torch.arange(ids.size(1), device=ids.device)[None, :]
    keep = (ids != blank) & (ids != previous) & (frames < lengths.to(ids.device)[:, None])
    ids, keep = ids.cpu(), keep.cpu()
    return [row[mask].tolist() for row, mask in zip(ids, keep)]


def make_batches(lengths: Mapping[str, int], batch_size: int = 16, batch_bins: int = 0) -> List[List[str]]:
    """Group utterances longest first so a batch pads little: at most batch_size of them, and if batch_bins > 0
    at most batch_bins padded samples (utterances x longest length; an utterance longer than that goes alone)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = sorted(lengths, key=lambda utt: (-lengths[utt], utt))
    batches: List[List[str]] = []
    for utt in order:
        if batches:
            batch = batches[-1]  # longest first: its first utterance sets the padded length
            padded = (len(batch) + 1) * lengths[batch[0]]
            if len(batch) < batch_size and (batch_bins <= 0 or padded <= batch_bins):
                batch.append(utt)
                continue
        batches.append([utt])
    return batches


def text_converter(config: Mapping) -> Callable[[List[int]], Tuple[List[str], Optional[str]]]:
    """token ids -> (tokens, text) exactly as ESPnet's Speech2Text turns them, from the model's training config."""
    from espnet2.text.build_tokenizer import build_tokenizer
    from espnet2.text.token_id_converter import TokenIDConverter

    token_type, bpemodel = config.get("token_type"), config.get("bpemodel")
    if token_type is not None and ("whisper" in token_type or token_type == "hugging_face"):
        raise ValueError(f"token_type {token_type} is not supported by the greedy decoder; use --decoder beam")
    if token_type is None or (token_type == "bpe" and bpemodel is None):
        tokenizer = None
    elif token_type == "bpe":
        tokenizer = build_tokenizer(token_type=token_type, bpemodel=bpemodel)
    else:
        tokenizer = build_tokenizer(token_type=token_type)
    converter = TokenIDConverter(token_list=config["token_list"])

    def convert(token_int: List[int]) -> Tuple[List[str], Optional[str]]:
        token = converter.ids2tokens(token_int)
        return token, tokenizer.tokens2text(token) if tokenizer is not None else None

    return convert


def load_plain_model(config_file, model_file, device: str = "cpu"):
    """(model in eval mode on device, config dict) of a plain ESPnet ASR model, weights loaded strictly."""
    from ctc_kd.models.export import build_plain
    from ctc_kd.teacher.loader import read_state_dict

    with open(config_file, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict) or "token_list" not in config:
        raise ValueError(f"{config_file} is not an ESPnet ASR training config (no token_list)")
    if config.get("model") not in (None, "espnet"):
        raise ValueError(
            f"{config_file} describes a '{config['model']}' model: decode its plain export "
            "(python -m ctc_kd.bin.export_student, or pass --config/--model_file to ctc_kd.bin.decode)"
        )
    model = build_plain(config, read_state_dict(Path(model_file)))
    return model.to(device).eval(), config


class GreedyCTCDecoder:
    """Greedy (best-path) CTC decoding of batches, padding-invariant: batching never changes a hypothesis."""

    def __init__(self, model, config: Mapping, device: str = "cpu"):
        if getattr(model, "ctc", None) is None:
            raise ValueError("the model has no CTC branch; greedy CTC decoding needs one (use --decoder beam)")
        if (config.get("model_conf") or {}).get("ctc_weight", 0.5) == 0.0:
            raise ValueError("the model was trained with ctc_weight 0, its CTC branch is untrained: use --decoder beam")
        self.model = model.eval()
        self.device = device
        self.blank = getattr(model, "blank_id", 0)
        self.convert = text_converter(config)

    @classmethod
    def from_files(cls, config_file, model_file, device: str = "cpu") -> "GreedyCTCDecoder":
        model, config = load_plain_model(config_file, model_file, device)
        return cls(model, config, device)

    @torch.no_grad()
    def decode_batch(self, speech: Sequence[Audio], posteriors: bool = False,
                     names: Optional[Sequence[str]] = None) -> List[Hypothesis]:
        """Decode utterances (1-D waveforms) in one padded batch, in the given order; `names` are their ids, which a
        warning about utterances too short to decode lists."""
        lengths = torch.tensor([len(s) for s in speech], dtype=torch.long)
        batch = torch.zeros(len(speech), int(lengths.max()), dtype=torch.float32)
        for i, s in enumerate(speech):
            batch[i, : len(s)] = torch.as_tensor(s, dtype=torch.float32)
        try:
            with padding_invariant(self.model):
                encoded, encoded_lengths = self.model.encode(batch.to(self.device), lengths.to(self.device))
        except Exception as e:  # every utterance of the batch is too short: no frame to decode
            if not too_short(e):
                raise
            which = ", ".join(f"'{n}'" for n in names) if names is not None else f"{len(speech)} utterance(s)"
            logging.warning(f"{which} of at most {int(lengths.max())} samples: too short for the model ({e}); "
                            "empty output")
            vocab = self.model.ctc.ctc_lo.out_features
            return [Hypothesis([], [], "", np.zeros((0, vocab), np.float32) if posteriors else None) for _ in speech]
        if isinstance(encoded, tuple):  # intermediate CTC outputs ride along
            encoded = encoded[0]
        logits = self.model.ctc.ctc_lo(encoded)
        best_path = logits.argmax(dim=-1)
        token_ints = collapse(best_path, encoded_lengths, self.blank)
        valid = torch.arange(best_path.size(1), device=best_path.device)[None, :] < encoded_lengths[:, None]
        blank_frames = ((best_path == self.blank) & valid).sum(dim=1).tolist()
        log_probs = logits.log_softmax(dim=-1).cpu().numpy() if posteriors else None
        hyps = []
        for i, token_int in enumerate(token_ints):
            token, text = self.convert(token_int)
            hyp = Hypothesis(token_int, token, text if text is not None else " ".join(token),
                             frames=int(encoded_lengths[i]), blank_frames=int(blank_frames[i]))
            if posteriors:
                hyp.posteriors = log_probs[i, : int(encoded_lengths[i])].copy()
            hyps.append(hyp)
        return hyps

    def decode(
        self,
        audio: Mapping[str, Audio],
        batch_size: int = 16,
        batch_bins: int = 0,
        posteriors: bool = False,
    ) -> Dict[str, Hypothesis]:
        """Decode a dict of waveforms in length-sorted batches; returns {utterance id: hypothesis}."""
        out: Dict[str, Hypothesis] = {}
        for batch in make_batches({utt: len(a) for utt, a in audio.items()}, batch_size, batch_bins):
            out.update(zip(batch, self.decode_batch([audio[utt] for utt in batch], posteriors)))
        return out
