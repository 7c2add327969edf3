"""PNG plots of the spike-timing study: one utterance's teacher/student posteriors with spikes, the offset histogram."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ctc_kd.analysis.spike_timing import SpikeOffsets, as_array

SHOWN_TOKENS = {"<space>": "␣", "▁": "␣"}


def _label(token: str) -> str:
    return SHOWN_TOKENS.get(token, token.replace("▁", "␣"))


def save_png(fig: Figure, path: Path) -> Path:
    """Render with the Agg canvas (no pyplot, no display) and write the PNG."""
    FigureCanvasAgg(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def _panel(ax, log_probs: np.ndarray, frames, tokens, token_list, blank: int, title: str, colors=None) -> None:
    """p(blank) and the best non-blank probability over time, each spike a line labelled with its token."""
    probs = np.exp(log_probs)
    time = np.arange(len(probs))
    ax.fill_between(time, probs[:, blank], color="0.85", step="mid", label="p(blank)")
    ax.plot(time, np.delete(probs, blank, axis=1).max(axis=1), color="tab:blue", lw=1.2, drawstyle="steps-mid",
            label="max p(non-blank)")
    for i, (frame, token) in enumerate(zip(frames.tolist(), tokens.tolist())):
        color = colors[i] if colors is not None else "tab:blue"
        ax.axvline(frame, color=color, lw=0.8, alpha=0.7)
        ax.text(frame, 1.02 + 0.09 * (i % 2), _label(token_list[token]), color=color, ha="center", va="bottom",
                fontsize=8, clip_on=False)  # alternating heights keep neighbouring labels apart
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title(title, loc="left", fontsize=9, pad=22)


def plot_posteriors(path: Path, utt: str, teacher_log_probs, student_log_probs, result: SpikeOffsets,
                    token_list: Sequence[str], blank: int = 0, names: Sequence[str] = ("teacher", "student"),
                    text: Optional[str] = None) -> Path:
    """Two panels over the frames of one utterance; teacher spikes green (exact), orange (shifted) or red (missed)."""
    teacher, student = as_array(teacher_log_probs), as_array(student_log_probs)
    colors = ["tab:green" if m and o == 0 else "tab:orange" if m else "tab:red"
              for o, m in zip(result.offsets.tolist(), result.matched.tolist())]
    width = min(24.0, max(8.0, len(teacher) / 25.0))
    fig = Figure(figsize=(width, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    n, missed = len(result.offsets), int((~result.matched).sum())
    exact = int((result.matched & (result.offsets == 0)).sum())
    _panel(top, teacher, result.frames, result.tokens, token_list, blank,
           f"{names[0]}: {n} spikes (green exact {exact}, orange shifted {n - exact - missed}, red missed {missed})",
           colors)
    _panel(bottom, student, result.student_frames, result.student_tokens, token_list, blank,
           f"{names[1]}: {len(result.student_frames)} spikes")
    bottom.set_xlabel("frame (encoder output)")
    top.legend(loc="lower right", fontsize=8, framealpha=0.8)
    fig.suptitle(f"CTC posteriors of {utt}" + (f": {text}" if text else ""), fontsize=10)
    return save_png(fig, path)


def plot_histogram(path: Path, summary: Mapping, clip: int = 10, heading: Optional[str] = None) -> Path:
    """Bars of matched offsets in [-clip, clip] (beyond: counted in the edge bars) and one bar of misses."""
    offsets = {int(k): v for k, v in summary["histogram"].items()}
    x = np.arange(-clip, clip + 1)
    counts = np.zeros(len(x), np.int64)
    for offset, count in offsets.items():
        counts[int(np.clip(offset, -clip, clip)) + clip] += count
    fig = Figure(figsize=(8.0, 4.0), layout="constrained")
    ax = fig.subplots()
    ax.bar(x, counts, color=["tab:green" if v == 0 else "tab:orange" for v in x], width=0.8)
    ax.bar([clip + 2], [summary["missed"]], color="tab:red", width=0.8)
    labels = [str(v) for v in x]
    labels[0], labels[-1] = f"≤{-clip}", f"≥{clip}"
    ax.set_xticks(list(x) + [clip + 2], labels + ["miss"], fontsize=7)
    ax.set_xlabel("offset of the nearest student spike (frames; > 0: the student fires later)")
    ax.set_ylabel("teacher spikes")

    def fmt(value, scale=1.0, unit=""):
        return "n/a" if value is None else f"{value * scale:.2f}{unit}"

    numbers = (f"{summary['teacher_spikes']} teacher spikes: mean |offset| {fmt(summary['mean_abs_offset'])} frames, "
               f"exact {fmt(summary['exact_share'], 100, '%')}, "
               f"within ±{summary['near_frames']} {fmt(summary['near_share'], 100, '%')}, "
               f"missed {fmt(summary['miss_rate'], 100, '%')}")
    ax.set_title(f"{heading}\n{numbers}" if heading else numbers, fontsize=9)
    return save_png(fig, path)
