"""KD on the teacher-output cache: teacher and student compared on the same coarsened distribution.

A cached teacher frame keeps blank, its k most likely non-blank tokens, and (when k < V - 1) one bucket for the
remaining mass: K = k + 2 buckets, in the order [blank, top-1, ..., top-k, rest] (K = k + 1 without rest). The
student's full posterior is folded onto the same buckets, so every KL below is exact on that coarsened distribution,
and every blank/non-blank quantity (beta, the frame sets N and Bk, Guide-CTC's target) is exact whatever k is:
beta only needs p(b), the argmax rule only needs p(b) and the top-1 token, and the top-1 token is Guide-CTC's target.
With k = V - 1 nothing is coarsened and the losses equal the online ones. Blank is bucket 0, so the `*_from_logprobs`
cores take blank_id=0 here.

Temperature: tempering the buckets (log_softmax(log p / tau)) is exact for blank and the top-k tokens; the rest
bucket is tempered as if it were one token (its members cannot be tempered one by one after caching). With tau = 1,
or k = V - 1, there is no approximation.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from ctc_kd.losses.frames import (
    check_temperature,
    compute_dtype,
    frame_sets_from_logprobs,
    masked_mean,
    valid_mask,
    zero_padded,
)
from ctc_kd.losses.posterior import Posteriors

BLANK_BUCKET = 0


class TeacherBuckets(NamedTuple):
    """The teacher's frames as cached: top-k non-blank token ids and bucket log-probabilities (at tau = 1)."""

    ids: torch.Tensor  # (B, T, k) int64, most likely first
    log_probs: torch.Tensor  # (B, T, K) float, [blank, top-1..top-k, (rest)]

    @property
    def has_rest(self) -> bool:
        return self.log_probs.shape[-1] == self.ids.shape[-1] + 2


def teacher_buckets(log_probs: torch.Tensor, k: int, blank_id: int = 0) -> TeacherBuckets:
    """Why: what the cache keeps of a (B, T, V) teacher log-posterior: blank, the top-k non-blank tokens, the rest."""
    vocab = log_probs.shape[-1]
    if not 1 <= k <= vocab - 1:
        raise ValueError(f"top-k must be between 1 and {vocab - 1} (the non-blank tokens), got {k}")
    non_blank = log_probs.clone()
    non_blank[..., blank_id] = -torch.inf
    top, ids = non_blank.topk(k, dim=-1)
    parts = [log_probs[..., blank_id:blank_id + 1], top]
    if k < vocab - 1:
        parts.append(_rest_mass(log_probs, ids, blank_id))
    return TeacherBuckets(ids=ids, log_probs=torch.cat(parts, dim=-1))


def _rest_mass(log_probs: torch.Tensor, ids: torch.Tensor, blank_id: int) -> torch.Tensor:
    """log of the mass outside blank and `ids`, as a logsumexp over those tokens (never log(1 - sum))."""
    outside = torch.ones_like(log_probs, dtype=torch.bool)
    outside.scatter_(-1, ids, False)
    outside[..., blank_id] = False
    return torch.logsumexp(log_probs.masked_fill(~outside, -torch.inf), dim=-1, keepdim=True)


def student_buckets(log_probs: torch.Tensor, ids: torch.Tensor, *, blank_id: int = 0,
                    has_rest: bool = True) -> torch.Tensor:
    """Why: the student's full (B, T, V) log-posterior folded onto the teacher's buckets, keeping the gradient."""
    parts = [log_probs[..., blank_id:blank_id + 1], log_probs.gather(-1, ids)]
    if has_rest:
        parts.append(_rest_mass(log_probs, ids, blank_id))
    return torch.cat(parts, dim=-1)


def prepare_bucketed_posteriors(student_logits: torch.Tensor, teacher: TeacherBuckets, lengths: torch.Tensor, *,
                                blank_id: int, temperature: float, frame_rule: str,
                                blank_threshold: float) -> Posteriors:
    """Why: the cached counterpart of `prepare_posteriors`: both sides on the buckets, blank at bucket 0.

    The frame sets come from blank and the top-k buckets at tau = 1 (the rest bucket is not a token, so it never makes
    a frame a spike).
    """
    check_temperature(temperature)
    if student_logits.shape[:2] != teacher.log_probs.shape[:2]:
        raise ValueError(f"student has (batch, frames) {tuple(student_logits.shape[:2])}, the cached teacher "
                         f"{tuple(teacher.log_probs.shape[:2])}: the cache must come from the same data and frame rate")
    if teacher.ids.numel() and int(teacher.ids.max()) >= student_logits.shape[-1]:
        raise ValueError(f"the cache holds token ids up to {int(teacher.ids.max())} but the student has "
                         f"{student_logits.shape[-1]} tokens: the cache was made with another token list")
    dtype = compute_dtype(student_logits, teacher.log_probs)
    batch, frames, _ = student_logits.shape
    valid = valid_mask(lengths, frames, batch_size=batch, device=student_logits.device)
    ids = torch.where(valid[..., None], teacher.ids.long(), torch.zeros((), dtype=torch.long, device=valid.device))
    t1 = zero_padded(teacher.log_probs.detach().to(dtype), valid)
    sets = frame_sets_from_logprobs(t1[..., : ids.shape[-1] + 1], valid, blank_id=BLANK_BUCKET,
                                    frame_rule=frame_rule, blank_threshold=blank_threshold)
    tau = float(temperature)
    log_p_t = t1 if tau == 1.0 else torch.log_softmax(t1 / tau, dim=-1)
    zs = zero_padded(student_logits.to(dtype), valid)
    log_p_s = student_buckets(torch.log_softmax(zs / tau, dim=-1), ids, blank_id=blank_id, has_rest=teacher.has_rest)
    return Posteriors(student=log_p_s, teacher=log_p_t, valid=valid, sets=sets)


def guide_ctc_bucketed(post: Posteriors) -> torch.Tensor:
    """Why: Guide-CTC on the cache: the teacher's best non-blank token is bucket 1, so its NLL is read directly.

    mean_N [ -log p^S_t(top-1 teacher token) ]; `post` must come from prepare_bucketed_posteriors at tau = 1.
    """
    return masked_mean(-post.student[..., 1], post.sets.nonblank)
