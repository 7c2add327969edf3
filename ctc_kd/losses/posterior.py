"""Posterior (CTC-output) distillation losses: Sfmx-KD, Guide-CTC and FPKD's binary and factorized KL.

Each public loss checks its inputs, builds log-probabilities in float32 or wider with padded frames replaced by 0
and the teacher detached, then calls a `*_from_logprobs` core. The cores take (B, T, K) log-probabilities whose
last axis may be the full vocabulary or a coarsened one (the teacher-output cache: top-k tokens + blank + one
bucket for the remaining mass), so a cache reuses them unchanged; `blank_id` then indexes the blank bucket.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from ctc_kd.losses.frames import (
    FrameSets,
    check_choice,
    check_pair,
    check_temperature,
    compute_dtype,
    frame_sets_from_logprobs,
    log_beta_from_logprobs,
    log_phat_from_logprobs,
    masked_mean,
    valid_mask,
    zero_padded,
)

FRAMES = ("all", "nonblank")
FKL_VARIANTS = ("A", "B")


class Posteriors(NamedTuple):
    """Log-probabilities at temperature tau of both sides (teacher detached), the valid mask and N/Bk."""

    student: torch.Tensor
    teacher: torch.Tensor
    valid: torch.Tensor
    sets: FrameSets


def prepare_posteriors(student_logits: torch.Tensor, teacher_logits: torch.Tensor, lengths: torch.Tensor, *,
                       blank_id: int, temperature: float, frame_rule: str, blank_threshold: float) -> Posteriors:
    """Why: one checked path from raw logits to what every posterior loss needs.

    log p = log_softmax(z / tau) computed in max(float32, input dtype) after padded frames are set to 0; the frame
    sets come from the teacher at tau = 1 (argmax is temperature-free; the threshold applies to the real posterior).
    """
    check_pair(student_logits, teacher_logits, blank_id)
    check_temperature(temperature)
    teacher_logits = teacher_logits.detach()
    dtype = compute_dtype(student_logits, teacher_logits)
    batch, frames, _ = student_logits.shape
    valid = valid_mask(lengths, frames, batch_size=batch, device=student_logits.device)
    zs = zero_padded(student_logits.to(dtype), valid)
    zt = zero_padded(teacher_logits.to(dtype), valid)
    tau = float(temperature)
    log_p_t1 = torch.log_softmax(zt, dim=-1)
    sets = frame_sets_from_logprobs(log_p_t1, valid, blank_id=blank_id, frame_rule=frame_rule,
                                    blank_threshold=blank_threshold)
    log_p_t = log_p_t1 if tau == 1.0 else torch.log_softmax(zt / tau, dim=-1)
    log_p_s = torch.log_softmax(zs / tau, dim=-1)
    return Posteriors(student=log_p_s, teacher=log_p_t, valid=valid, sets=sets)


# ----------------------------------------------------------------------------------------------------------------
# Per-frame divergences on log-probabilities (full or bucketed).
# ----------------------------------------------------------------------------------------------------------------
def _kl_from_logprobs(log_p_t: torch.Tensor, log_p_s: torch.Tensor) -> torch.Tensor:
    """Why: KL per frame that stays finite for peaky teachers (0 log 0 = 0, even with -inf teacher entries).

    KL(p || q) = sum_k p(k) (log p(k) - log q(k)) with p = exp(log_p_t), terms where p(k) = 0 set to 0; (..., K) -> (...).
    """
    p_t = log_p_t.exp()
    terms = p_t * (log_p_t - log_p_s)
    return torch.where(p_t > 0, terms, torch.zeros((), dtype=terms.dtype, device=terms.device)).sum(dim=-1)


def _binary_kl_from_logprobs(log_p_t: torch.Tensor, log_p_s: torch.Tensor, blank_id: int) -> torch.Tensor:
    """Why: the blank/non-blank part of the factorization. KL(beta(p^T) || beta(p^S)) per frame."""
    return _kl_from_logprobs(log_beta_from_logprobs(log_p_t, blank_id), log_beta_from_logprobs(log_p_s, blank_id))


def _phat_kl_from_logprobs(log_p_t: torch.Tensor, log_p_s: torch.Tensor, blank_id: int) -> torch.Tensor:
    """Why: the which-token part of the factorization. KL(phat^T || phat^S) per frame."""
    return _kl_from_logprobs(log_phat_from_logprobs(log_p_t, blank_id), log_phat_from_logprobs(log_p_s, blank_id))


# ----------------------------------------------------------------------------------------------------------------
# Loss cores on prepared log-probabilities (log p at temperature tau; tau only sets the tau^2 factor here).
# ----------------------------------------------------------------------------------------------------------------
def sfmx_kd_from_logprobs(log_p_s: torch.Tensor, log_p_t: torch.Tensor, valid: torch.Tensor, sets: FrameSets, *,
                          temperature: float = 1.0, frames: str = "all") -> torch.Tensor:
    """Why: the Sfmx-KD core shared with SKD and the cache. tau^2 * mean_{valid or N} KL(p^T_t || p^S_t)."""
    check_choice(frames, "frames", FRAMES)
    mask = valid if frames == "all" else sets.nonblank
    return float(temperature) ** 2 * masked_mean(_kl_from_logprobs(log_p_t, log_p_s), mask)


def guide_ctc_from_logprobs(log_p_s: torch.Tensor, log_p_t: torch.Tensor, sets: FrameSets, *,
                            blank_id: int = 0) -> torch.Tensor:
    """Why: the Guide-CTC core. mean_N [ -log p^S_t(argmax_{k != b} p^T_t(k)) ] (tau = 1)."""
    masked_teacher = log_p_t.detach().clone()
    masked_teacher[..., blank_id] = -torch.inf
    target = masked_teacher.argmax(dim=-1, keepdim=True)
    nll = -log_p_s.gather(-1, target).squeeze(-1)
    return masked_mean(nll, sets.nonblank)


def binary_kd_from_logprobs(log_p_s: torch.Tensor, log_p_t: torch.Tensor, valid: torch.Tensor, *, blank_id: int = 0,
                            temperature: float = 1.0) -> torch.Tensor:
    """Why: the FPKD stage-1 core. tau^2 * mean_valid KL(beta(p^T_t) || beta(p^S_t))."""
    return float(temperature) ** 2 * masked_mean(_binary_kl_from_logprobs(log_p_t, log_p_s, blank_id), valid)


def fkl_from_logprobs(log_p_s: torch.Tensor, log_p_t: torch.Tensor, valid: torch.Tensor, sets: FrameSets, *,
                      blank_id: int = 0, temperature: float = 1.0, variant: str = "A",
                      blank_weight: float = 1.0) -> torch.Tensor:
    """Why: the FPKD stage-3 core.

    A: tau^2 * [ mean_N KL(p^T_t || p^S_t) + blank_weight * mean_Bk KL(beta^T_t || beta^S_t) ]
    B: tau^2 * [ mean_valid KL(beta^T_t || beta^S_t) + mean_N KL(phat^T_t || phat^S_t) ]
    """
    check_choice(variant, "variant", FKL_VARIANTS)
    binary = _binary_kl_from_logprobs(log_p_t, log_p_s, blank_id)
    if variant == "A":
        loss = masked_mean(_kl_from_logprobs(log_p_t, log_p_s), sets.nonblank) \
            + float(blank_weight) * masked_mean(binary, sets.blank)
    else:
        if float(blank_weight) != 1.0:
            raise ValueError(f"blank_weight={blank_weight} only applies to fkl variant 'A'; variant 'B' has no "
                             "blank-frame weight (leave it at 1.0)")
        loss = masked_mean(binary, valid) + masked_mean(_phat_kl_from_logprobs(log_p_t, log_p_s, blank_id),
                                                        sets.nonblank)
    return float(temperature) ** 2 * loss


# ----------------------------------------------------------------------------------------------------------------
# Public losses on logits.
# ----------------------------------------------------------------------------------------------------------------
def sfmx_kd(student_logits: torch.Tensor, teacher_logits: torch.Tensor, lengths: torch.Tensor, *, blank_id: int = 0,
            temperature: float = 1.0, frames: str = "all", frame_rule: str = "argmax",
            blank_threshold: float = 0.5) -> torch.Tensor:
    """Sfmx-KD, conventional frame-level KD: make the student's posteriors match the teacher's on every frame.

    tau^2 * mean_valid KL(p^T_t || p^S_t), p = softmax(z / tau); frames="nonblank" averages over N only
    (blank elimination). Logits (B, T, V), lengths (B,); returns a scalar (float32 or wider).
    """
    check_choice(frames, "frames", FRAMES)
    post = prepare_posteriors(student_logits, teacher_logits, lengths, blank_id=blank_id, temperature=temperature,
                              frame_rule=frame_rule, blank_threshold=blank_threshold)
    return sfmx_kd_from_logprobs(post.student, post.teacher, post.valid, post.sets, temperature=temperature,
                                 frames=frames)


def guide_ctc(student_logits: torch.Tensor, teacher_logits: torch.Tensor, lengths: torch.Tensor, *, blank_id: int = 0,
              frame_rule: str = "argmax", blank_threshold: float = 0.5) -> torch.Tensor:
    """Guide-CTC (Kurata & Audhkhasi 2019): make the student spike the teacher's token where the teacher spikes.

    mean_N [ -log p^S_t(argmax_k p^T_t(k)) ], tau = 1. The target is the teacher's best non-blank token, which is
    argmax_k p^T_t(k) on every N frame of the default argmax rule (with frame_rule="threshold" an N frame can
    have blank as its argmax; it is then guided to the best non-blank token).
    """
    post = prepare_posteriors(student_logits, teacher_logits, lengths, blank_id=blank_id, temperature=1.0,
                              frame_rule=frame_rule, blank_threshold=blank_threshold)
    return guide_ctc_from_logprobs(post.student, post.teacher, post.sets, blank_id=blank_id)


def binary_kd(student_logits: torch.Tensor, teacher_logits: torch.Tensor, lengths: torch.Tensor, *, blank_id: int = 0,
              temperature: float = 1.0) -> torch.Tensor:
    """FPKD stage 1: distil only the blank/non-blank decision of every frame.

    tau^2 * mean_valid KL(beta(p^T_t) || beta(p^S_t)), beta(p) = [p(b), 1 - p(b)],
    log(1 - p(b)) = logsumexp_{k != b} z_k/tau - logsumexp_k z_k/tau.
    """
    post = prepare_posteriors(student_logits, teacher_logits, lengths, blank_id=blank_id, temperature=temperature,
                              frame_rule="argmax", blank_threshold=0.5)
    return binary_kd_from_logprobs(post.student, post.teacher, post.valid, blank_id=blank_id, temperature=temperature)


def fkl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, lengths: torch.Tensor, *, blank_id: int = 0,
        temperature: float = 1.0, variant: str = "A", blank_weight: float = 1.0, frame_rule: str = "argmax",
        blank_threshold: float = 0.5) -> torch.Tensor:
    """FPKD stage 3, factorized KL: full KD on spikes, only the blank decision on blank frames (A), or beta + phat (B).

    A (default): tau^2 * [ mean_N KL(p^T_t || p^S_t) + blank_weight * mean_Bk KL(beta(p^T_t) || beta(p^S_t)) ]
    B: tau^2 * [ mean_valid KL(beta^T_t || beta^S_t) + mean_N KL(phat^T_t || phat^S_t) ],
    phat(k) = p(k) / (1 - p(b)), k != b. blank_weight applies to A only (B with blank_weight != 1 is an error).
    """
    check_choice(variant, "variant", FKL_VARIANTS)
    post = prepare_posteriors(student_logits, teacher_logits, lengths, blank_id=blank_id, temperature=temperature,
                              frame_rule=frame_rule, blank_threshold=blank_threshold)
    return fkl_from_logprobs(post.student, post.teacher, post.valid, post.sets, blank_id=blank_id,
                             temperature=temperature, variant=variant, blank_weight=blank_weight)
