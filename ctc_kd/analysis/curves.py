"""Validation error by epoch, one line per system: how fast and how far each method trains, at a glance."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ctc_kd.analysis.plots import save_png


def mean_curve(runs: Sequence[Mapping[int, float]]) -> Dict[int, float]:
    """The mean over runs at every epoch all of them reached (a run still training does not bend the mean)."""
    if not runs:
        return {}
    epochs = set(runs[0]).intersection(*runs[1:])
    return {e: float(np.mean([run[e] for run in runs])) for e in sorted(epochs)}


def plot_valid_curves(curves: Mapping[str, Sequence[Mapping[int, float]]], path: Path, ylabel: str,
                      title: str) -> Path:
    """Each system's seeds as thin lines and their mean as a thick one with markers; written as a PNG."""
    fig = Figure(figsize=(8.0, 4.8))
    ax = fig.add_subplot(1, 1, 1)
    colors = [f"C{i % 10}" for i in range(len(curves))]
    styles = ["-", "--", ":", "-."]
    for i, (name, runs) in enumerate(curves.items()):
        runs = [run for run in runs if run]
        if not runs:
            continue
        color, style = colors[i], styles[i // 10 % len(styles)]
        if len(runs) > 1:
            for run in runs:
                epochs = sorted(run)
                ax.plot(epochs, [run[e] for e in epochs], color=color, ls=style, lw=0.6, alpha=0.35)
        mean = mean_curve(runs)
        ax.plot(list(mean), list(mean.values()), color=color, ls=style, lw=1.8, marker="o", ms=2.5,
                label=f"{name} (n={len(runs)})")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return save_png(fig, path)
