"""Self-knowledge distillation (SKD): the sub-model head learns from the detached full-model head, on a schedule."""
from __future__ import annotations

import math

import torch

from ctc_kd.losses.frames import check_choice
from ctc_kd.losses.posterior import FRAMES, prepare_posteriors, sfmx_kd_from_logprobs


def skd_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, lengths: torch.Tensor, *, blank_id: int = 0,
           temperature: float = 1.0, frames: str = "all", frame_rule: str = "argmax",
           blank_threshold: float = 0.5) -> torch.Tensor:
    """SKD's frame-level term: the self-student (block-l head) matches the stop-gradient self-teacher (full head).

    tau^2 * mean_valid KL(sg[p^T_t] || p^S_t), p = softmax(z / tau); frames="nonblank" averages over N only (the
    blank-masked ablation), N decided by the self-teacher. Logits (B, T, V), lengths (B,); returns a scalar.
    """
    check_choice(frames, "frames", FRAMES)
    post = prepare_posteriors(student_logits, teacher_logits, lengths, blank_id=blank_id, temperature=temperature,
                              frame_rule=frame_rule, blank_threshold=blank_threshold)
    return sfmx_kd_from_logprobs(post.student, post.teacher, post.valid, post.sets, temperature=temperature,
                                 frames=frames)


def skd_alpha(epoch: float, *, alpha_start: float = 0.3, alpha_end: float = 0.7, ramp_start: float,
              ramp_end: float) -> float:
    """SKD schedule: how much weight the sub-model branch gets at a given epoch.

    alpha = alpha_start for epoch <= ramp_start, alpha_start + (alpha_end - alpha_start) * (epoch - ramp_start) /
    (ramp_end - ramp_start) in between, alpha_end for epoch >= ramp_end (with ramp_start == ramp_end: a step to
    alpha_end at that epoch). Loss = (1 - alpha) * CTC(full) + alpha * (CTC(sub) + lambda * skd_kl).
    """
    values = {"epoch": epoch, "alpha_start": alpha_start, "alpha_end": alpha_end, "ramp_start": ramp_start,
              "ramp_end": ramp_end}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"skd_alpha: {name} must be a finite number, got {value!r}")
    for name in ("alpha_start", "alpha_end"):
        if not 0.0 <= values[name] <= 1.0:
            raise ValueError(f"skd_alpha: {name} must be in [0, 1], got {values[name]}")
    if ramp_start > ramp_end:
        raise ValueError(f"skd_alpha: ramp_start ({ramp_start}) must be <= ramp_end ({ramp_end})")
    if epoch >= ramp_end:
        return float(alpha_end)
    if epoch <= ramp_start:
        return float(alpha_start)
    frac = (epoch - ramp_start) / (ramp_end - ramp_start)
    return float(alpha_start + (alpha_end - alpha_start) * frac)
