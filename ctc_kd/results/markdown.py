"""The tables of RESULTS.md with their footnotes and legends, and the same numbers for results.json."""
import shutil
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Sequence

from ctc_kd.analysis.curves import plot_valid_curves
from ctc_kd.analysis.spike_timing import NEAR_FRAMES
from ctc_kd.analysis.system_errors import plot_system_errors
from ctc_kd.experiment.layout import (ALIGNMENT, EXPORT_DIR, EXPORTED_MODEL, OFFSETS_PNG, POSTERIORS_PNG, TRAIN_LOG,
                                      alignment_dir, decode_dir, score_file, system_of)
from ctc_kd.results.exp_reader import METRICS, UNIT_NAMES
from ctc_kd.results.formatting import NA, format_seconds, one_decimal
from ctc_kd.results.notes import Notes
from ctc_kd.results.rows import Row
from ctc_kd.results.stats import Stats, gap_recovered, relative_reduction

ALIGNMENT_COLUMNS = (("mean_abs_offset", "Mean abs. offset (frames)", 1.0), ("exact_share", "Exact (%)", 100.0),
                     ("near_share", f"Within ±{NEAR_FRAMES} (%)", 100.0),
                     ("miss_rate", "Miss (%)", 100.0))  # key in alignment.json, column, scale
ERROR_TYPES = ("sub", "del", "ins")  # score.json's parts of an error rate
BEYOND_SPREAD = "†"  # marks a relative reduction whose seed ranges do not overlap the baseline's
PLOTS_DIR = "plots"  # beside RESULTS.md: the spike-timing pictures the table links
RUN = Path("<exp>/<run>")  # how the legends name a run's folder


def any_seed(folder: str) -> str:
    """A parent folder with its seed generalised, in backticks: `exp/student_fpkd_stage1_seed<k>`."""
    path = PurePosixPath(folder)
    name = system_of(path.name) + ("_seed<k>" if system_of(path.name) != path.name else "")
    return f"`{(path.parent / name).as_posix()}`"


class Table:
    """Builds RESULTS.md and results.json from the rows."""

    def __init__(self, rows: List[Row], baseline: Optional[Row], test_sets: Sequence[str], decoder: str,
                 align_set: Optional[str] = None, align_teacher: Optional[str] = None, links_from: Path = Path("."),
                 baseline_of: Optional[Dict[str, Row]] = None):
        self.rows, self.baseline, self.test_sets, self.decoder = rows, baseline, list(test_sets), decoder
        # systems compared with a baseline of their own (e.g. a group on another architecture), by system name
        self.baseline_of = dict(baseline_of or {}) if baseline is not None else {}
        self.align_set, self.align_teacher, self.links_from = align_set, align_teacher, links_from
        # the teacher of the gap columns: the one the students are compared with, when it is a row of the table
        self.teacher = next((row for row in rows if row.name == align_teacher), None) if baseline is not None else None
        self.notes = Notes()

    def _run_reasons(self, row: Row, key: str) -> List[str]:
        """Why some runs of a row lack a piece (a missing folder explains everything)."""
        reasons = []
        for r in row.runs:
            if "dir" in r.missing:
                reasons.append(r.missing["dir"])
            elif key in r.missing:
                reasons.append(r.missing[key])
        return reasons

    def error_cell(self, row: Row, metric: str, test_set: str) -> str:
        """An error rate over the row's runs, footnoted when some runs lack it."""
        s = row.stats(metric, test_set)
        reasons = self._run_reasons(row, f"{metric}/{test_set}")
        if s.n == 0:
            return NA + self.notes.mark(reasons or [f"{row.name}: no runs found"])
        text = s.text()
        if reasons:
            text += self.notes.mark([f"{row.name} {metric.upper()} on {test_set}: mean over {s.n} of "
                                     f"{len(row.runs)} runs; " + "; ".join(reasons)])
        return text

    def base(self, row: Row) -> Optional[Row]:
        """The baseline the row is compared with: its own (--baseline_of) or the table's."""
        return self.baseline_of.get(system_of(row.name), self.baseline)

    def reduction(self, row: Row, metric: str, test_set: str) -> Optional[float]:
        """The row's relative error reduction against its baseline (None without a baseline or numbers)."""
        if self.baseline is None:
            return None
        base, mine = self.base(row).stats(metric, test_set).mean, row.stats(metric, test_set).mean
        if base is None or mine is None or base == 0:
            return None
        return relative_reduction(base, mine)

    def gap(self, row: Row, metric: str, test_set: str) -> Optional[float]:
        """The share of the teacher-student gap the row recovers (None without teacher, baseline, numbers or gap)."""
        if self.teacher is None:
            return None
        base, teacher = self.base(row).stats(metric, test_set).mean, self.teacher.stats(metric, test_set).mean
        mine = row.stats(metric, test_set).mean
        if base is None or teacher is None or mine is None or base == teacher:
            return None
        return gap_recovered(base, teacher, mine)

    def gap_cell(self, row: Row, metric: str, test_set: str) -> str:
        """The recovered share of the gap, or n/a saying why."""
        if self.is_baseline(row) or row is self.teacher:
            return "—"
        value = self.gap(row, metric, test_set)
        if value is not None:
            return one_decimal(value)
        baseline = self.base(row)
        base, teacher = baseline.stats(metric, test_set).mean, self.teacher.stats(metric, test_set).mean
        if base is not None and base == teacher:
            why = [f"{self.teacher.name} and {baseline.name} have the same {metric.upper()} on {test_set}: no gap"]
        elif base is None or teacher is None:
            why = [f"no {metric.upper()} on {test_set} for {baseline.name if base is None else self.teacher.name}"]
        else:
            why = self._run_reasons(row, f"{metric}/{test_set}") or [f"{row.name}: no runs found"]
        return NA + self.notes.mark(why)

    def is_baseline(self, row: Row) -> bool:
        """Whether the row is its own baseline or one of its seeds."""
        base = self.base(row)
        return row.name == base.name or system_of(row.name) == base.name

    def beyond_seed_spread(self, row: Row, metric: str, test_set: str) -> Optional[bool]:
        """Whether the seeds of row and baseline do not overlap at all (None: fewer than 2 runs on a side)."""
        mine, base = row.stats(metric, test_set).values, self.base(row).stats(metric, test_set).values
        if len(mine) < 2 or len(base) < 2:
            return None
        return max(mine) < min(base) or min(mine) > max(base)

    def reduction_cell(self, row: Row, metric: str, test_set: str) -> str:
        """The relative reduction, marked beyond the seed spread, or n/a saying why."""
        if self.is_baseline(row):
            return "—"
        value = self.reduction(row, metric, test_set)
        if value is not None:
            return one_decimal(value) + (BEYOND_SPREAD if self.beyond_seed_spread(row, metric, test_set) else "")
        baseline = self.base(row)
        base = baseline.stats(metric, test_set).mean
        if base is None:
            why = [f"the baseline {baseline.name} has no {metric.upper()} on {test_set}"]
        elif base == 0:
            why = [f"the baseline {baseline.name} has 0 errors on {test_set}: no relative reduction"]
        else:
            why = self._run_reasons(row, f"{metric}/{test_set}") or [f"{row.name}: no runs found"]
        return NA + self.notes.mark(why)

    def params_cell(self, row: Row) -> str:
        """#Params in millions (a range when the runs differ)."""
        values = sorted({r.params for r in row.runs if r.params is not None})
        if not values:
            return NA + self.notes.mark(self._run_reasons(row, "params") or [f"{row.name}: no runs found"])
        if len(values) == 1:
            return f"{values[0] / 1e6:.2f}"
        return f"{values[0] / 1e6:.2f}–{values[-1] / 1e6:.2f}"

    def time_cell(self, row: Row) -> str:
        """The mean training time of the runs, footnoted for unfinished runs and continued trainings."""
        seconds = row.train_seconds
        reasons = self._run_reasons(row, "time")
        parents = sorted({any_seed(r.parent_path) for r in row.runs if r.parent_path})
        if parents:
            reasons.append(f"{row.name} continues from {', '.join(parents)}: that training time is not included")
        if seconds is None:
            return NA + self.notes.mark(reasons or [f"{row.name}: no runs found"])
        return format_seconds(seconds) + (self.notes.mark(reasons) if reasons else "")

    def decoder_cell(self, row: Row) -> str:
        """The decoders the runs' decode_info.json name (with the beam size), else --decoder."""
        labels = []
        for r in row.runs:
            for test_set in self.test_sets:
                info = r.decode_info.get(test_set)
                if info is None:
                    continue
                label = str(info.get("decoder", self.decoder))
                if label == "beam" and info.get("beam_size") is not None:
                    label += f" {info['beam_size']}"
                labels.append(label)
        return ", ".join(dict.fromkeys(labels)) or self.decoder

    def method_cell(self, row: Row) -> str:
        """The method, and its learning rate when it differs from the baseline's (an ablation of the schedule)."""
        method = row.method
        if method is None:
            return NA + self.notes.mark(self._run_reasons(row, "config") or [f"{row.name}: no runs found"])
        base_lr = self.base(row).learning_rate if self.baseline is not None else None
        if row.learning_rate is not None and base_lr is not None and row.learning_rate != base_lr:
            method += f", lr {row.learning_rate:g}"
        return method

    def metric_table(self, metric: str) -> List[str]:
        """The main table of one metric: a row per system."""
        name = metric.upper()
        several = any(len(row.runs) > 1 for row in self.rows)
        head = ["System", "Method", "#Params (M)", "n"] + [f"{t} {name} (%)" for t in self.test_sets]
        if self.baseline is not None:
            head += [f"{t} rel. red. (%)" for t in self.test_sets]
        if self.teacher is not None:
            head += [f"{t} gap rec. (%)" for t in self.test_sets]
        head += ["Training time" + (" (per run)" if several else ""), "Decoder"]
        align = ["---", "---", "---:", "---:"] + ["---:"] * (len(head) - 6) + ["---:", "---"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
        for row in self.rows:
            cells = [row.name, self.method_cell(row), self.params_cell(row), str(row.n)]
            cells += [self.error_cell(row, metric, t) for t in self.test_sets]
            if self.baseline is not None:
                cells += [self.reduction_cell(row, metric, t) for t in self.test_sets]
            if self.teacher is not None:
                cells += [self.gap_cell(row, metric, t) for t in self.test_sets]
            cells += [self.time_cell(row), self.decoder_cell(row)]
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def legend(self, metric: str) -> List[str]:
        """What the columns of a metric table mean and where their numbers come from."""
        source = score_file(decode_dir(RUN, self.decoder, "<test set>"), metric)
        text = (f"{metric.upper()} in % from `{source}`; "
                "n = runs (seeds) found; with n > 1: mean ± sample standard deviation [min–max].")
        if self.baseline is not None:
            text += (f" Rel. red. = relative error reduction vs `{self.baseline.name}` (mean of its runs): "
                     "(baseline − system) / baseline × 100, positive = fewer errors; "
                     f"{BEYOND_SPREAD} = beyond the seed spread: every run of the system is better (or every run "
                     "worse) than every run of the baseline.")
        if self.teacher is not None:
            text += (f" Gap rec. = the share of the teacher-student gap recovered: (baseline − system) / (baseline − "
                     f"`{self.teacher.name}`) × 100, with means over runs; 100 = as good as the teacher, 0 = no better "
                     "than the baseline (a relative reduction cannot exceed the teacher's own).")
        for base in dict.fromkeys(b.name for b in self.baseline_of.values()):
            own = [name for name, b in self.baseline_of.items() if b.name == base]
            text += (f" {', '.join(f'`{n}`' for n in own)} {'is' if len(own) == 1 else 'are'} compared with "
                     f"`{base}` instead (a baseline of their own, --baseline_of).")
        text += (f" #Params: trained parameters of `{EXPORT_DIR}/{EXPORTED_MODEL}` (normalisation and batch-norm "
                 "statistics and the mel filterbank not counted). Training time: sum of ESPnet's per-epoch times in "
                 f"`{TRAIN_LOG}`.")
        return ["", text]

    def alignment_rows(self) -> List[Row]:
        """The rows of the spike-timing table: every system but the teacher the students are compared with."""
        return [row for row in self.rows if row.name != self.align_teacher]

    def alignment_cell(self, row: Row, key: str, scale: float) -> str:
        s = row.alignment_stats(key)
        reasons = self._run_reasons(row, "alignment")
        if s.n == 0:
            if not reasons and any(r.alignment is not None for r in row.runs):
                reasons = [f"{row.name}: no teacher spike has a student spike of its token (all missed): no offsets"]
            return NA + self.notes.mark(reasons or [f"{row.name}: no runs found"])
        text = s.text(scale, 2 if scale == 1.0 else 1)
        if reasons:
            text += self.notes.mark([f"{row.name} spike timing: mean over {s.n} of {len(row.runs)} runs; "
                                     + "; ".join(reasons)])
        return text

    def plots_cell(self, row: Row) -> str:
        """Links to each run's posteriors.png and offsets.png, copied beside RESULTS.md (exp/ is not committed)."""
        parts = []
        for r in row.runs:
            if r.alignment is None:
                continue
            folder = alignment_dir(r.dir, str(self.align_set))
            pngs = (("posteriors", POSTERIORS_PNG), ("offsets", OFFSETS_PNG))
            links = [f"[{label}]({link})" for label, png in pngs
                     if (link := self.published(folder / png, f"{r.name}.{self.align_set}.{png}"))]
            if links and len(row.runs) > 1:
                links.insert(0, f"seed {r.seed}:" if r.seed is not None else f"{r.name}:")
            if links:
                parts.append(" ".join(links))
        return "; ".join(parts) or "—"

    def published(self, source: Path, name: str) -> Optional[str]:
        """Copy a plot into plots/ beside RESULTS.md and link it (a clone has only the copy committed there)."""
        target = self.links_from / PLOTS_DIR / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        elif not target.is_file():
            return None
        return f"{PLOTS_DIR}/{name}"

    def alignment_table(self) -> List[str]:
        """The spike-timing table: a row per student."""
        head = ["System", "Method", "n", "Teacher spikes"] + [c for _, c, _ in ALIGNMENT_COLUMNS] + ["Plots"]
        align = ["---", "---"] + ["---:"] * (2 + len(ALIGNMENT_COLUMNS)) + ["---"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
        for row in self.alignment_rows():
            spikes = sorted({r.alignment["teacher_spikes"] for r in row.runs
                             if r.alignment is not None and isinstance(r.alignment.get("teacher_spikes"), int)})
            cells = [row.name, self.method_cell(row), str(row.n), "–".join(map(str, spikes)) or NA]
            cells += [self.alignment_cell(row, key, scale) for key, _, scale in ALIGNMENT_COLUMNS]
            lines.append("| " + " | ".join(cells + [self.plots_cell(row)]) + " |")
        return lines

    def alignment_legend(self) -> List[str]:
        """What the spike-timing columns mean."""
        return ["", (f"Spike timing of each student against `{self.align_teacher}` on `{self.align_set}` "
                     f"(`{alignment_dir(RUN, str(self.align_set)) / ALIGNMENT}`, `python -m ctc_kd.bin.alignment`). "
                     "A spike is the first frame of a run of frames whose argmax is one non-blank token; each teacher "
                     "spike is paired with the nearest student spike of the same token. Mean abs. offset: frames "
                     "between them, over paired teacher spikes (a few far pairings pull it up); Exact: offset 0; "
                     f"Within ±{NEAR_FRAMES}: at most {NEAR_FRAMES} frame apart; Miss: no student spike of that "
                     "token in the utterance (or within its max_offset); Exact, Within and Miss in % of all teacher "
                     "spikes. n > 1: mean ± sample standard deviation [min–max] over runs. Plots: one utterance's "
                     "posteriors with the spikes, and the offset histogram.")]

    def valid_curves(self) -> Dict[str, List[Dict[int, float]]]:
        """Each row's runs' validation curves."""
        return {row.name: [r.valid_curve() for r in row.runs] for row in self.rows}

    def blank_section(self) -> List[str]:
        """How sparse each system's CTC output is: its best path's blank share per test set, and the teacher's on the
        training data as its KD students logged it (empty when no decoding recorded one)."""
        rows = [row for row in self.rows if any(row.blank_ratio_stats(t).n for t in self.test_sets)]
        taught = Stats([v for row in self.rows for v in row.last_train_stats("teacher_blank_ratio").values])
        if not rows and not taught.n:
            return []
        lines, text = ["## Blank ratio (%)", ""], []
        if rows:
            lines += ["| System | n | " + " | ".join(self.test_sets) + " |",
                      "|---|---:|" + "---:|" * len(self.test_sets)]
            for row in rows:
                cells = [row.blank_ratio_stats(t) for t in self.test_sets]
                lines.append(f"| {row.name} | {row.n} | " + " | ".join(c.text(digits=1) if c.n else NA for c in cells)
                             + " |")
            lines.append("")
            text.append("The share of frames whose greedy best-path label is blank (`blank_ratio` in "
                        f"`{decode_dir(RUN, self.decoder, '<test set>')}/decode_info.json`); mean over runs, with the "
                        "spread as in the error tables.")
        if taught.n:
            text.append(f"The teacher's on the training data: **{taught.mean * 100:.1f}%** (`teacher_blank_ratio` of "
                        f"the last epoch's [train] statistics in the KD students' `{TRAIN_LOG}`, mean over {taught.n} "
                        "runs: the teacher's outputs on the training batches, speed-perturbed copies included).")
        return lines + [" ".join(text), ""]

    def error_types_section(self, metric: str) -> List[str]:
        """Where each system's errors come from: too much blank shows as deletions, firing too often as insertions;
        nothing when no score records them."""
        rows = [row for row in self.rows if any(row.error_type_stats(metric, t, kind).n
                                                for t in self.test_sets for kind in ERROR_TYPES)]
        if not rows:
            return []
        lines = [f"## Error types ({metric.upper()}, %)", "",
                 "| System | n | " + " | ".join(f"{t} sub / del / ins" for t in self.test_sets) + " |",
                 "|---|---:|" + "---:|" * len(self.test_sets)]
        for row in rows:
            cells = [" / ".join(one_decimal(s.mean) if s.n else NA for s in
                                (row.error_type_stats(metric, t, kind) for kind in ERROR_TYPES))
                     for t in self.test_sets]
            lines.append(f"| {row.name} | {row.n} | " + " | ".join(cells) + " |")
        where = score_file(decode_dir(RUN, self.decoder, "<test set>"), metric)
        return lines + ["", (f"Substitutions, deletions and insertions in % of the reference's {UNIT_NAMES[metric]} "
                             f"(`sub`, `del` and `ins` of `{where}`), mean over runs; they add up to the "
                             f"{metric.upper()}. A system that outputs blank where the reference has a token deletes "
                             "it; one that fires more tokens than were said inserts them."), ""]

    def objective_section(self) -> List[str]:
        """How big each KD term was against CTC's loss in the last epoch, so that a weight reads as what it did;
        nothing when no run logged a KD term."""
        objectives = {row.name: row.objective_stats() for row in self.rows}
        if not any("kd" in o for o in objectives.values()):
            return []
        lines = ["## Training objective (last epoch)", "",
                 "| System | n | CTC loss | KD loss | KD / CTC | KD terms |", "|---|---:|---:|---:|---:|---|"]
        for row in self.rows:
            o = objectives[row.name]
            if "ctc" not in o:
                continue
            terms = ", ".join(f"{key[len('term:'):]} {o[key].mean:.1f}" for key in o if key.startswith("term:"))
            lines.append(f"| {row.name} | {o['ctc'].n} | {o['ctc'].text(digits=1)} | "
                         + (f"{o['kd'].text(digits=1)} | {o['kd_over_ctc'].text(digits=2)} | {terms or NA}"
                            if "kd" in o else "— | — | —") + " |")
        return lines + ["", ("ESPnet's [train] statistics of each run's last completed epoch in "
                             f"`{RUN / TRAIN_LOG}` (its batches' numbers averaged over the epoch), mean ± spread over "
                             "runs as in the error tables. CTC loss: the student's (`loss_ctc`; an SKD run's "
                             "sub-model's, `loss_ctc_sub`). KD loss: the sum of the KD terms as optimised, weight "
                             "and scale included (`loss_kd`; SKD's `loss_skd`, which its objective weighs by α "
                             "together with the sub-model's CTC loss); KD / CTC: their ratio per run, averaged; KD "
                             "terms: each term's mean as optimised. A ratio above 1: the KD terms, more than the "
                             "transcripts, are what the training minimises."), ""]

    def curves_section(self, title: str) -> List[str]:
        """The validation-error-by-epoch picture (plots/valid_curves.png) with its legend; nothing without curves."""
        curves = self.valid_curves()
        if not any(any(runs) for runs in curves.values()):
            return []
        keys = sorted({r.selection_metric for row in self.rows for r in row.runs if r.train is not None})
        plot_valid_curves(curves, self.links_from / PLOTS_DIR / "valid_curves.png", "validation error (%)", title)
        return ["## Validation error by epoch", "", f"![validation error by epoch]({PLOTS_DIR}/valid_curves.png)", "",
                ("After every epoch, on the validation set, the number each run selects its checkpoint on (ESPnet's "
                 f"best_model_criterion: {', '.join(f'`{k}`' for k in keys)}; an SKD run's is its sub-model's); thin "
                 "lines are seeds, thick lines their mean. A run initialised from another (FPKD stages) continues "
                 "its parent's epochs."), ""]

    def errors_plot(self, metric: str, title: str) -> List[str]:
        """The main table as a picture (plots/errors_<metric>.png): each system's runs against the teacher's and the
        baselines' means; nothing without numbers."""
        errors = {row.name: {t: row.stats(metric, t).values for t in self.test_sets} for row in self.rows}
        if not any(values for sets in errors.values() for values in sets.values()):
            return []
        teacher = next((row for row in self.rows if row.name == self.align_teacher), None)
        bases = [self.baseline] + list(self.baseline_of.values()) if self.baseline is not None else []
        drawn_as_lines = [row for row in [teacher] + bases if row is not None]
        references = {f"{row.name} (mean)": {t: row.stats(metric, t).mean for t in self.test_sets}
                      for row in drawn_as_lines}
        own = {row.name for row in drawn_as_lines}
        compared_with = {row.name: f"{row.name if row.name in own else self.base(row).name} (mean)" for row in self.rows
                         if row.name in own or bases}
        name = f"errors_{metric}.png"
        plot_system_errors(errors, references, self.links_from / PLOTS_DIR / name, f"{metric.upper()} (%)", title,
                           compared_with)
        return [f"![{metric.upper()} by system, every run]({PLOTS_DIR}/{name})", "",
                f"Each run's {metric.upper()} (dots) and each system's mean (bar), against the means of the teacher "
                "and of the baselines the table compares with (lines; a system's dots take the colour of its "
                "baseline's line); lower is better. A test set without scores has no panel.", ""]

    def per_run_table(self) -> List[str]:
        """Every run on its own: seed, error rates, epochs, time, #Params."""
        head = ["Run", "Seed"] + [f"{t} {m.upper()} (%)" for m in METRICS for t in self.test_sets]
        head += ["Epochs", "Training time", "#Params (M)"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
        for row in self.rows:
            for r in row.runs:
                cells = [r.name, NA if r.seed is None else str(r.seed)]
                cells += [f"{r.err[(m, t)]:.2f}" if (m, t) in r.err else NA for m in METRICS for t in self.test_sets]
                cells.append(str(r.train.epochs) if r.train is not None else NA)
                cells.append(format_seconds(r.train_seconds) if r.train_seconds is not None else NA)
                cells.append(f"{r.params / 1e6:.2f}" if r.params is not None else NA)
                lines.append("| " + " | ".join(cells) + " |")
        return lines

    def to_dict(self) -> dict:
        """The numbers of the tables as results.json keeps them."""
        systems = []
        for row in self.rows:
            metrics = {}
            for metric in METRICS:
                metrics[metric] = {}
                for t in self.test_sets:
                    entry = row.stats(metric, t).to_dict()
                    entry["rel_reduction"] = self.reduction(row, metric, t)
                    entry["gap_recovered"] = self.gap(row, metric, t)
                    entry["beyond_seed_spread"] = (None if self.baseline is None or self.is_baseline(row)
                                                   else self.beyond_seed_spread(row, metric, t))
                    entry["baseline"] = self.base(row).name if self.baseline is not None else None
                    metrics[metric][t] = entry
            params = [r.params for r in row.runs if r.params is not None]
            error_types = {metric: {t: {kind: row.error_type_stats(metric, t, kind).to_dict() for kind in ERROR_TYPES}
                                    for t in self.test_sets} for metric in METRICS}
            systems.append({"name": row.name, "method": row.method, "n": row.n, "params": params[0] if params else None,
                            "train_seconds": row.train_seconds, "decoder": self.decoder_cell(row), "metrics": metrics,
                            "error_types": error_types,
                            "objective": {key: s.to_dict() for key, s in row.objective_stats().items()},
                            "runs": [r.to_dict() for r in row.runs]})
        if self.align_set is not None:
            for entry, row in zip(systems, self.rows):
                entry["alignment"] = None if row.name == self.align_teacher else {
                    key: row.alignment_stats(key).to_dict() for key, _, _ in ALIGNMENT_COLUMNS}
        return {"baseline": self.baseline.name if self.baseline is not None else None, "test_sets": self.test_sets,
                "decoder": self.decoder, "align_set": self.align_set, "align_teacher": self.align_teacher,
                "systems": systems}
