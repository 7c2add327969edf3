"""Spike timing of a student against its teacher (SKD paper's alignment study), as pure vectorised array functions.

Definitions (one utterance; teacher and student log-posteriors of shape (frames, vocabulary), the same frame rate
and token list, blank id `blank`):
- A frame's label is its argmax token. A *spike* is a maximal run of consecutive frames with the same non-blank
  label, placed at the run's FIRST frame: exactly the frames where CTC's best path emits a token (as
  ctc_kd.inference.greedy.collapse), so one emitted token is one spike however wide its peak. `a a _ a` holds two
  spikes of `a` (frames 0 and 3); `a b` holds two spikes (frames 0 and 1).
- For every teacher spike (token k, frame t) its *offset* is s - t, where s is the frame of the nearest student spike
  of the same token k (positive: the student fires later). A tie between an earlier and a later student spike goes to
  the earlier one (the negative offset), so results never depend on the order of candidates.
- Matching is nearest-neighbour per teacher spike, not a one-to-one assignment: a student spike may serve several
  teacher spikes (e.g. the teacher fires `l` twice, the student once between them). This is what "offset to the
  nearest student spike" means, needs no alignment of the two label sequences (which would mix timing with
  recognition errors), and is order-free; the price is that such a merged emission is not counted as a miss.
- A teacher spike is a *miss* when the student has no spike of that token in the utterance, or, with max_offset,
  none within max_offset frames (|offset| > max_offset). Missed spikes have no offset.
Over a data set (AlignmentTotals): teacher_spikes, student_spikes, matched, missed, exact (offset 0);
mean_abs_offset and mean_offset over matched spikes; exact_share = exact / teacher_spikes, near_share = near /
teacher_spikes (near: |offset| <= NEAR_FRAMES) and miss_rate = missed / teacher_spikes (over ALL teacher spikes);
histogram {offset: count} of matched spikes. The mean is pulled up by a few far matches (a token the student
emits in another word); near_share says how many spikes sit within the shift CTC models commonly show. With no
teacher spike the rates and means are None (not NaN).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

NO_OFFSET = np.iinfo(np.int64).min  # offsets[i] of a missed teacher spike
NEAR_FRAMES = 1  # a teacher spike counts as near when the student's is at most this many frames away
COUNTS = ("utterances", "frames", "teacher_spikes", "student_spikes", "matched", "exact", "near")  # of AlignmentTotals


def as_array(log_probs) -> np.ndarray:
    """A (frames, vocabulary) float array from a numpy array or a torch tensor."""
    if hasattr(log_probs, "detach"):
        log_probs = log_probs.detach().cpu().numpy()
    log_probs = np.asarray(log_probs)
    if log_probs.ndim != 2:
        raise ValueError(f"expected (frames, vocabulary) log-posteriors, got shape {log_probs.shape}")
    return log_probs


def spikes(log_probs, blank: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """(frames, tokens) of the spikes: first frames of runs of one non-blank argmax label."""
    labels = as_array(log_probs).argmax(axis=-1)
    previous = np.concatenate([[-1], labels[:-1]])
    frames = np.flatnonzero((labels != blank) & (labels != previous))
    return frames.astype(np.int64), labels[frames].astype(np.int64)


@dataclass
class SpikeOffsets:
    """One utterance's teacher spikes, each with its offset to the student and whether it was matched."""

    frames: np.ndarray  # teacher spike frames
    tokens: np.ndarray  # teacher spike tokens
    offsets: np.ndarray  # student frame - teacher frame; NO_OFFSET where missed
    matched: np.ndarray  # bool
    student_frames: np.ndarray
    student_tokens: np.ndarray


def nearest_offsets(t_frames, t_tokens, s_frames, s_tokens, max_offset: Optional[int] = None):
    """(offsets, matched) of each teacher spike to its nearest same-token student spike (ties: the earlier)."""
    if max_offset is not None and max_offset < 0:
        raise ValueError(f"max_offset must be >= 0 or None, got {max_offset}")
    n = len(t_frames)
    if n == 0 or len(s_frames) == 0:
        return np.full(n, NO_OFFSET, np.int64), np.zeros(n, bool)
    span = int(max(t_frames.max(), s_frames.max())) + 1  # key = token * span + frame sorts by token, then frame
    keys = np.sort(s_tokens * span + s_frames)
    s_tok, s_frm = keys // span, keys % span
    after = np.searchsorted(keys, t_tokens * span + t_frames)  # first student spike at or after, in token order
    before = after - 1
    after_ok = after < len(keys)
    after_c = np.minimum(after, len(keys) - 1)
    before_c = np.maximum(before, 0)
    after_ok &= s_tok[after_c] == t_tokens
    before_ok = (before >= 0) & (s_tok[before_c] == t_tokens)
    d_after = np.where(after_ok, s_frm[after_c] - t_frames, np.iinfo(np.int64).max)
    d_before = np.where(before_ok, t_frames - s_frm[before_c], np.iinfo(np.int64).max)
    take_before = before_ok & (d_before <= d_after)
    offsets = np.where(take_before, -d_before, d_after)
    matched = before_ok | after_ok
    if max_offset is not None:
        matched &= np.abs(np.where(matched, offsets, 0)) <= max_offset
    return np.where(matched, offsets, NO_OFFSET), matched


def spike_offsets(teacher_log_probs, student_log_probs, blank: int = 0,
                  max_offset: Optional[int] = None) -> SpikeOffsets:
    """Every teacher spike of one utterance with its offset to the nearest student spike of the same token."""
    teacher, student = as_array(teacher_log_probs), as_array(student_log_probs)
    if teacher.shape != student.shape:
        raise ValueError(f"teacher posteriors {teacher.shape} and student posteriors {student.shape} differ: the "
                         "models need the same frame rate (subsampling) and token list")
    t_frames, t_tokens = spikes(teacher, blank)
    s_frames, s_tokens = spikes(student, blank)
    offsets, matched = nearest_offsets(t_frames, t_tokens, s_frames, s_tokens, max_offset)
    return SpikeOffsets(t_frames, t_tokens, offsets, matched, s_frames, s_tokens)


def _ratio(a: float, b: int) -> Optional[float]:
    return a / b if b else None


@dataclass
class AlignmentTotals:
    """Running sums over utterances; summary() gives the data set's numbers (see the module docstring)."""

    utterances: int = 0
    frames: int = 0
    teacher_spikes: int = 0
    student_spikes: int = 0
    matched: int = 0
    exact: int = 0
    near: int = 0
    abs_offset_sum: int = 0
    offset_sum: int = 0
    histogram: Counter = field(default_factory=Counter)

    def add(self, result: SpikeOffsets, frames: int = 0) -> None:
        offsets = result.offsets[result.matched]
        self.utterances += 1
        self.frames += frames
        self.teacher_spikes += len(result.offsets)
        self.student_spikes += len(result.student_frames)
        self.matched += len(offsets)
        self.exact += int((offsets == 0).sum())
        self.near += int((np.abs(offsets) <= NEAR_FRAMES).sum())
        self.abs_offset_sum += int(np.abs(offsets).sum())
        self.offset_sum += int(offsets.sum())
        values, counts = np.unique(offsets, return_counts=True)
        self.histogram.update(dict(zip(values.tolist(), counts.tolist())))

    @classmethod
    def from_summary(cls, summary: Mapping) -> "AlignmentTotals":
        """The sums behind a summary() (a shard's alignment.json): its counts, the offset sums from its histogram."""
        histogram = Counter({int(offset): count for offset, count in summary["histogram"].items()})
        return cls(**{name: summary[name] for name in COUNTS},
                   abs_offset_sum=sum(abs(offset) * count for offset, count in histogram.items()),
                   offset_sum=sum(offset * count for offset, count in histogram.items()), histogram=histogram)

    def merge(self, other: "AlignmentTotals") -> None:
        """Add another part of the data set (a shard): the sums are exact, so the parts give the whole's numbers."""
        for name in COUNTS + ("abs_offset_sum", "offset_sum"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.histogram.update(other.histogram)

    @property
    def missed(self) -> int:
        return self.teacher_spikes - self.matched

    def summary(self) -> Dict[str, object]:
        """The numbers as a JSON-ready dict (histogram keys are offsets as strings, in numeric order)."""
        return {
            "utterances": self.utterances, "frames": self.frames,
            "teacher_spikes": self.teacher_spikes, "student_spikes": self.student_spikes,
            "matched": self.matched, "missed": self.missed, "exact": self.exact, "near": self.near,
            "near_frames": NEAR_FRAMES,
            "mean_abs_offset": _ratio(self.abs_offset_sum, self.matched),
            "mean_offset": _ratio(self.offset_sum, self.matched),
            "exact_share": _ratio(self.exact, self.teacher_spikes),
            "near_share": _ratio(self.near, self.teacher_spikes),
            "miss_rate": _ratio(self.missed, self.teacher_spikes),
            "histogram": {str(k): self.histogram[k] for k in sorted(self.histogram)},
        }
