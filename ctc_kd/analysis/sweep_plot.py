"""Dev error against KD weight, one line per method: where each method's best weight lies and how flat it is."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Sequence, Tuple

from matplotlib.figure import Figure

from ctc_kd.analysis.plots import save_png


def plot_weight_sweep(points: Mapping[str, Sequence[Tuple[float, float]]], chosen: Mapping[str, Optional[float]],
                      references: Mapping[str, float], path: Path, ylabel: str, title: str) -> Path:
    """Each system's (weight, error) points joined in weight order on a log axis, its chosen weight ringed, and each
    reference run (e.g. the teacher, the student alone) a dotted horizontal line; written as a PNG."""
    fig = Figure(figsize=(7.0, 4.4))
    ax = fig.add_subplot(1, 1, 1)
    for i, (system, pts) in enumerate(points.items()):
        pts = sorted(pts)
        if not pts:
            continue
        color = f"C{i % 10}"
        ax.plot([w for w, _ in pts], [e for _, e in pts], color=color, marker="o", ms=4, lw=1.4, label=system)
        best = chosen.get(system)
        for w, e in pts:
            if best is not None and w == best:
                ax.plot([w], [e], marker="o", ms=11, mfc="none", mec=color, mew=1.6)
    for label, value in references.items():
        ax.axhline(value, color="0.4", ls=":", lw=1.0)
        ax.annotate(f"{label} {value:.2f}", xy=(0.01, value), xycoords=("axes fraction", "data"), va="bottom",
                    fontsize=8, color="0.3")
    ax.set_xscale("log")
    weights = sorted({w for pts in points.values() for w, _ in pts})
    if weights:
        ax.set_xticks(weights)
        ax.set_xticklabels([f"{w:g}" for w in weights])
        ax.minorticks_off()
    ax.set_xlabel("KD weight (on CTC's scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return save_png(fig, path)
