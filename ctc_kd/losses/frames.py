"""Frame masks, teacher frame sets and the stable blank/non-blank distributions every KD loss builds on."""
from __future__ import annotations

from typing import NamedTuple, Sequence

import torch

FRAME_RULES = ("argmax", "threshold")


class FrameSets(NamedTuple):
    """The teacher's partition of the valid frames: N (non-blank, "spikes") and Bk (blank), both bool (B, T)."""

    nonblank: torch.Tensor
    blank: torch.Tensor


# ----------------------------------------------------------------------------------------------------------------
# Input checks and preparation shared by the loss modules.
# ----------------------------------------------------------------------------------------------------------------
def compute_dtype(*tensors: torch.Tensor) -> torch.dtype:
    """The dtype a loss computes in: the inputs' common floating type, but never below float32 (fp16/bf16 upcast)."""
    dtype = torch.float32
    for x in tensors:
        if not x.is_floating_point():
            raise TypeError(f"expected a floating-point tensor, got dtype {x.dtype}")
        dtype = torch.promote_types(dtype, x.dtype)
    return dtype


def check_logits(logits: torch.Tensor, name: str, blank_id: int | None = None) -> None:
    """Why: a (B, T, V) shape error mid-loss is opaque; say which argument is wrong and what was expected."""
    if logits.dim() != 3:
        raise ValueError(f"{name} must be (batch, frames, vocab), got shape {tuple(logits.shape)}")
    if blank_id is not None:
        vocab = logits.shape[-1]
        if vocab < 2:
            raise ValueError(f"{name} has a vocabulary of {vocab}: CTC needs blank plus at least one token")
        if not 0 <= blank_id < vocab:
            raise ValueError(f"blank_id={blank_id} is outside the vocabulary of {name} (size {vocab})")


def check_pair(student_logits: torch.Tensor, teacher_logits: torch.Tensor, blank_id: int) -> None:
    """Why: teacher and student must share the token list and frame rate; name the mismatch plainly."""
    check_logits(student_logits, "student_logits", blank_id)
    check_logits(teacher_logits, "teacher_logits", blank_id)
    s, t = tuple(student_logits.shape), tuple(teacher_logits.shape)
    if s[0] != t[0]:
        raise ValueError(f"student batch size {s[0]} != teacher batch size {t[0]}")
    if s[1] != t[1]:
        raise ValueError(
            f"student has {s[1]} frames, teacher has {t[1]}: teacher and student must share the frame rate"
        )
    if s[2] != t[2]:
        raise ValueError(
            f"student vocabulary {s[2]} != teacher vocabulary {t[2]}: teacher and student must share the token list"
        )


def check_temperature(temperature: float) -> None:
    """Why: tau <= 0 gives inf/NaN posteriors far from the config line that set it."""
    if not float(temperature) > 0.0:
        raise ValueError(f"temperature must be > 0, got {temperature}")


def check_choice(value: str, name: str, choices: Sequence[str]) -> None:
    """Why: a typo in a string option must fail, not silently select a default."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(repr(c) for c in choices)}")


def zero_padded(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Why: padded frames may hold anything; replacing them by 0 (not multiplying) keeps inf/NaN out and their
    gradient exactly 0. x is (B, T, ...), valid is bool (B, T)."""
    view = valid.reshape(valid.shape + (1,) * (x.dim() - valid.dim()))
    return torch.where(view, x, torch.zeros((), dtype=x.dtype, device=x.device))


# ----------------------------------------------------------------------------------------------------------------
# Masks and frame sets.
# ----------------------------------------------------------------------------------------------------------------
def valid_mask(lengths: torch.Tensor | Sequence[int], max_len: int, *, batch_size: int | None = None,
               device: torch.device | str | None = None) -> torch.Tensor:
    """Why: padded frames never enter a loss. Returns bool (B, T) with mask[b, t] = t < lengths[b]."""
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be 1-D (batch,), got shape {tuple(lengths.shape)}")
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        raise TypeError(f"lengths must be an integer tensor, got dtype {lengths.dtype}")
    if batch_size is not None and lengths.shape[0] != batch_size:
        raise ValueError(f"lengths has {lengths.shape[0]} entries but the batch has {batch_size} utterances")
    if lengths.numel():
        lo, hi = int(lengths.min()), int(lengths.max())
        if lo < 0:
            raise ValueError(f"lengths must be >= 0, got a length of {lo}")
        if hi > max_len:
            raise ValueError(f"a length of {hi} exceeds the {max_len} frames of the padded tensor")
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def frame_sets_from_logprobs(teacher_log_probs: torch.Tensor, valid: torch.Tensor, *, blank_id: int = 0,
                             frame_rule: str = "argmax", blank_threshold: float = 0.5) -> FrameSets:
    """Why: the teacher decides which frames are spikes; works on full or bucketed (cache) log-probabilities.

    argmax rule: N = valid & max_{k != b} log p^T_t(k) > log p^T_t(b) (ties count as blank, as torch.argmax does
    for blank_id=0), Bk = valid & not N. threshold rule: Bk = valid & p^T_t(b) > blank_threshold, N = valid & not Bk.
    """
    check_choice(frame_rule, "frame_rule", FRAME_RULES)
    lp = teacher_log_probs.detach()
    if frame_rule == "argmax":  # max_{k != b} > p(b) exactly when max_k > p(b): no copy without the blank column
        is_blank = ~(lp.amax(dim=-1) > lp[..., blank_id])
    else:
        if not 0.0 <= float(blank_threshold) <= 1.0:
            raise ValueError(f"blank_threshold must be in [0, 1], got {blank_threshold}")
        is_blank = lp[..., blank_id].exp() > float(blank_threshold)
    return FrameSets(nonblank=valid & ~is_blank, blank=valid & is_blank)


def teacher_frame_sets(teacher_logits: torch.Tensor, lengths: torch.Tensor, *, blank_id: int = 0,
                       frame_rule: str = "argmax", blank_threshold: float = 0.5) -> FrameSets:
    """Why: N and Bk of docs/kd_methods.md, decided by the teacher at temperature 1 and always inside the valid frames.

    N = valid & argmax_k p^T_t(k) != b, Bk = valid & argmax = b; or, with frame_rule="threshold",
    Bk = valid & p^T_t(b) > blank_threshold, N = valid & not Bk. Returns FrameSets(nonblank, blank), bool (B, T).
    """
    check_logits(teacher_logits, "teacher_logits", blank_id)
    z = teacher_logits.detach()
    valid = valid_mask(lengths, z.shape[1], batch_size=z.shape[0], device=z.device)
    z = zero_padded(z.to(compute_dtype(z)), valid)
    return frame_sets_from_logprobs(torch.log_softmax(z, dim=-1), valid, blank_id=blank_id,
                                    frame_rule=frame_rule, blank_threshold=blank_threshold)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Why: every loss averages over a frame set across the whole batch; an empty set gives 0, never NaN.

    mean_S f = sum_{(b,t) in S} values[b, t] / |S|, and 0 (still attached to the graph, gradient 0) when |S| = 0.
    Frames outside the mask never reach the result nor receive gradient, whatever they hold.
    """
    if values.shape != mask.shape:
        raise ValueError(f"values shape {tuple(values.shape)} != mask shape {tuple(mask.shape)}")
    total = torch.where(mask, values, torch.zeros((), dtype=values.dtype, device=values.device)).sum()
    count = mask.sum().clamp(min=1).to(total.dtype)
    return total / count


# ----------------------------------------------------------------------------------------------------------------
# The binary blank/non-blank distribution beta and the non-blank distribution phat.
# ----------------------------------------------------------------------------------------------------------------
def _without_blank(x: torch.Tensor, blank_id: int) -> torch.Tensor:
    """Why: the non-blank entries along the last axis, in vocabulary order (a view, no copy, when blank is first)."""
    if blank_id == 0:
        return x[..., 1:]
    return torch.cat([x[..., :blank_id], x[..., blank_id + 1:]], dim=-1)


def _scaled(logits: torch.Tensor, blank_id: int, temperature: float) -> torch.Tensor:
    """Why: shared check + upcast + 1/tau for the public distribution helpers."""
    if logits.shape[-1] < 2 or not 0 <= blank_id < logits.shape[-1]:
        raise ValueError(f"blank_id={blank_id} needs a vocabulary axis of size >= 2 containing it, "
                         f"got {logits.shape[-1]}")
    check_temperature(temperature)
    return logits.to(compute_dtype(logits)) / float(temperature)


def log_beta_from_logprobs(log_probs: torch.Tensor, blank_id: int = 0) -> torch.Tensor:
    """Why: beta from (full or bucketed) log-probabilities, without cancellation.

    log beta = [log p(b), logsumexp_{k != b} log p(k)] along a new last axis of size 2.
    """
    return torch.stack([log_probs[..., blank_id], torch.logsumexp(_without_blank(log_probs, blank_id), dim=-1)],
                       dim=-1)


def log_beta(logits: torch.Tensor, blank_id: int = 0, temperature: float = 1.0) -> torch.Tensor:
    """Why: the binary blank/non-blank distribution, stable even when p(b) rounds to 1.

    log beta(p) = [log_softmax(z/tau)(b), logsumexp_{k != b}(z_k/tau) - logsumexp_k(z_k/tau)]; (..., V) -> (..., 2).
    log(1 - p(b)) is never formed as log(1 - exp(.)).
    """
    z = _scaled(logits, blank_id, temperature)
    lse_all = torch.logsumexp(z, dim=-1)
    return torch.stack([z[..., blank_id] - lse_all, torch.logsumexp(_without_blank(z, blank_id), dim=-1) - lse_all],
                       dim=-1)


def log_phat_from_logprobs(log_probs: torch.Tensor, blank_id: int = 0) -> torch.Tensor:
    """Why: phat from (full or bucketed) log-probabilities.

    log phat(k) = log p(k) - logsumexp_{j != b} log p(j) for k != b; (..., V) -> (..., V-1), blank column removed.
    """
    return torch.log_softmax(_without_blank(log_probs, blank_id), dim=-1)


def log_phat(logits: torch.Tensor, blank_id: int = 0, temperature: float = 1.0) -> torch.Tensor:
    """Why: the distribution over non-blank tokens, renormalised without dividing by a tiny 1 - p(b).

    phat(k) = p(k) / (1 - p(b)) for k != b, i.e. log phat = log_softmax over the non-blank z_k/tau;
    (..., V) -> (..., V-1), the blank column removed (token order otherwise kept).
    """
    return torch.log_softmax(_without_blank(_scaled(logits, blank_id, temperature), blank_id), dim=-1)
