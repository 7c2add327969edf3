"""Hidden-state distillation (FPKD stage 2): MSE between student and teacher layers, averaged per frame type."""
from __future__ import annotations

import math

import torch

from ctc_kd.losses.frames import (
    FrameSets,
    check_logits,
    compute_dtype,
    frame_sets_from_logprobs,
    masked_mean,
    valid_mask,
    zero_padded,
)


def _check_weight(value: float, name: str) -> float:
    """Why: a negative or NaN weight turns distillation into anti-distillation silently."""
    value = float(value)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def factorized_repr_kd(student_hidden: torch.Tensor, teacher_hidden: torch.Tensor, teacher_logits: torch.Tensor,
                       lengths: torch.Tensor, *, blank_id: int = 0, nonblank_weight: float = 1.0,
                       blank_weight: float = 1.0, frame_rule: str = "argmax",
                       blank_threshold: float = 0.5) -> torch.Tensor:
    """FPKD stage 2: pull student hidden states to the teacher's, spikes and blanks each averaged over their own count.

    nonblank_weight * mean_N MSE_t + blank_weight * mean_Bk MSE_t, MSE_t = (1/D) || h^S_t - h^T_t ||^2.
    student_hidden is (B, T, D) already projected to the teacher's width D, teacher_hidden (B, T, D),
    teacher_logits (B, T, V) decides N and Bk (at temperature 1); lengths (B,).
    """
    nonblank_weight = _check_weight(nonblank_weight, "nonblank_weight")
    blank_weight = _check_weight(blank_weight, "blank_weight")
    check_logits(teacher_logits, "teacher_logits", blank_id)
    for name, h in (("student_hidden", student_hidden), ("teacher_hidden", teacher_hidden)):
        if h.dim() != 3:
            raise ValueError(f"{name} must be (batch, frames, dim), got shape {tuple(h.shape)}")
    if student_hidden.shape[-1] != teacher_hidden.shape[-1]:
        raise ValueError(f"student_hidden width {student_hidden.shape[-1]} != teacher_hidden width "
                         f"{teacher_hidden.shape[-1]}: project the student to the teacher's width first")
    if student_hidden.shape[:2] != teacher_hidden.shape[:2] or teacher_hidden.shape[:2] != teacher_logits.shape[:2]:
        raise ValueError(f"(batch, frames) differ: student_hidden {tuple(student_hidden.shape[:2])}, teacher_hidden "
                         f"{tuple(teacher_hidden.shape[:2])}, teacher_logits {tuple(teacher_logits.shape[:2])}; "
                         "teacher and student must share the frame rate")
    teacher_hidden = teacher_hidden.detach()
    teacher_logits = teacher_logits.detach()
    dtype = compute_dtype(student_hidden, teacher_hidden, teacher_logits)
    batch, frames, _ = student_hidden.shape
    valid = valid_mask(lengths, frames, batch_size=batch, device=student_hidden.device)
    hs = zero_padded(student_hidden.to(dtype), valid)
    ht = zero_padded(teacher_hidden.to(dtype), valid)
    zt = zero_padded(teacher_logits.to(dtype), valid)
    sets = frame_sets_from_logprobs(torch.log_softmax(zt, dim=-1), valid, blank_id=blank_id, frame_rule=frame_rule,
                                    blank_threshold=blank_threshold)
    return factorized_repr_kd_from_sets(hs, ht, sets, nonblank_weight=nonblank_weight, blank_weight=blank_weight)


def factorized_repr_kd_from_sets(student_hidden: torch.Tensor, teacher_hidden: torch.Tensor, sets: FrameSets, *,
                                 nonblank_weight: float = 1.0, blank_weight: float = 1.0) -> torch.Tensor:
    """Why: the stage-2 core for frame sets decided elsewhere (online logits or the cache's buckets).

    nonblank_weight * mean_N MSE_t + blank_weight * mean_Bk MSE_t on (B, T, D) hidden states of equal width.
    """
    mse = (student_hidden - teacher_hidden.detach().to(student_hidden.dtype)).square().mean(dim=-1)
    return nonblank_weight * masked_mean(mse, sets.nonblank) + blank_weight * masked_mean(mse, sets.blank)
