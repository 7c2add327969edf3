"""Every system's error rate seed by seed beside the teacher's and the baselines': the table's comparison at a glance."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ctc_kd.analysis.plots import save_png

REFERENCE_STYLES = ("--", ":", "-.")  # one line style per reference (teacher, baselines), in the order given


def plot_system_errors(errors: Mapping[str, Mapping[str, Sequence[float]]],
                       references: Mapping[str, Mapping[str, float]], path: Path, xlabel: str, title: str,
                       compared_with: Optional[Mapping[str, str]] = None) -> Path:
    """One panel per test set; a system per line, top to bottom in the given order, each run a dot, the mean a bar.

    errors: system -> test set -> its runs' error rates (a system or test set without any is left out); references:
    label -> test set -> a number drawn across the panel as a vertical line (e.g. the teacher's and a baseline's
    means); compared_with: system -> the reference label it is compared with, whose colour its dots take.
    """
    systems = [name for name, sets in errors.items() if any(len(v) for v in sets.values())]
    if not systems:
        raise ValueError("no system has an error rate to plot")
    test_sets = list(dict.fromkeys(t for name in systems for t, v in errors[name].items() if len(v)))
    colors = {label: f"C{i + 2}" for i, label in enumerate(references)}
    dot_color = {name: colors.get((compared_with or {}).get(name), "tab:blue") for name in systems}
    fig = Figure(figsize=(max(9.0, 4.2 * len(test_sets) + 2.6), 0.38 * len(systems) + 1.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(test_sets), sharey=True))
    y = np.arange(len(systems))[::-1]  # the first system on top
    for ax, test_set in zip(axes, test_sets):
        for row, name in zip(y, systems):
            values = np.asarray(errors[name].get(test_set, ()), dtype=float)
            if not len(values):
                continue
            ax.hlines(row, values.min(), values.max(), color="0.6", lw=1)
            ax.plot(values, np.full(len(values), row), "o", color=dot_color[name], ms=4, alpha=0.75)
            ax.plot([values.mean()], [row], "|", color="black", ms=14, mew=2)
        for i, (label, per_set) in enumerate(references.items()):
            if per_set.get(test_set) is not None:
                ax.axvline(per_set[test_set], color=colors[label], ls=REFERENCE_STYLES[i % len(REFERENCE_STYLES)],
                           lw=1.2)
        ax.set_title(test_set, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(True, axis="x", alpha=0.3)
    axes[0].set_yticks(y, systems, fontsize=8)
    handles = [Line2D([], [], marker="o", ls="", color="0.4", label="a run (seed), in its baseline's colour"
                      if compared_with else "a run (seed)"),
               Line2D([], [], marker="|", ls="", color="black", ms=10, mew=2, label="mean over runs")]
    handles += [Line2D([], [], color=colors[label], ls=REFERENCE_STYLES[i % len(REFERENCE_STYLES)], label=label)
                for i, label in enumerate(references)]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(3, len(handles)), fontsize=8)
    fig.suptitle(title, fontsize=10)
    return save_png(fig, path)
