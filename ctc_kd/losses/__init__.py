"""The KD losses of docs/kd_methods.md as pure functions on tensors (no ESPnet import)."""
from ctc_kd.losses.frames import (
    FrameSets,
    log_beta,
    log_phat,
    masked_mean,
    teacher_frame_sets,
    valid_mask,
)
from ctc_kd.losses.bucketed import TeacherBuckets, prepare_bucketed_posteriors, student_buckets, teacher_buckets
from ctc_kd.losses.hidden import factorized_repr_kd
from ctc_kd.losses.posterior import binary_kd, fkl, guide_ctc, sfmx_kd
from ctc_kd.losses.self_kd import skd_alpha, skd_kl

__all__ = [
    "FrameSets",
    "TeacherBuckets",
    "binary_kd",
    "factorized_repr_kd",
    "fkl",
    "guide_ctc",
    "log_beta",
    "log_phat",
    "masked_mean",
    "prepare_bucketed_posteriors",
    "sfmx_kd",
    "skd_alpha",
    "skd_kl",
    "student_buckets",
    "teacher_buckets",
    "teacher_frame_sets",
    "valid_mask",
]
