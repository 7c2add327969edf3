"""Write a recipe's RESULTS.md (error-rate tables as in the FPKD/SKD papers, and how they were made) and results.json.

Per system row: System, Method (from its config.yaml), #Params (M) of the exported model, n (runs averaged: the
`<system>` folder and/or its `<system>_seed<k>` folders), the error rate on each test set (mean ± sample std
[min–max] over runs), the relative error reduction vs the baseline's mean on each test set, the training time
(sum of ESPnet's per-epoch times in train.log) and the decoder. One table for the main metric, then one for the
other (CER/WER), with --align_set the students' spike timing vs the teacher (mean |offset|, exact share, miss
rate from exp/<run>/alignment/<set>/alignment.json, with links to its plots), the validation error by epoch
(plots/valid_curves.png), the recipe's reading of the numbers (--reading), a per-run table, then "How this was
produced" (commands, date, environment, configs). A relative reduction is marked † when the seeds of the system and
of the baseline do not overlap.
Anything missing is "n/a" with a footnote naming the file, and a logged warning; the tool never stops on it.
"""
from __future__ import annotations

import argparse
import datetime
import json
import logging
import re
import shutil
import statistics
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

from ctc_kd.analysis.curves import plot_valid_curves
from ctc_kd.analysis.spike_timing import NEAR_FRAMES
from ctc_kd.experiment.layout import EXTERNAL_CHECKPOINT
from ctc_kd.bin.run_info import TrainLog, count_parameters, environment, read_train_log
from ctc_kd.cli import run
from ctc_kd.init.origin import initialised_from, pruned_blocks
from ctc_kd.models import kd_terms

log = logging.getLogger(__name__)

METRICS = ("cer", "wer")
NA = "n/a"
_SEED = re.compile(r"_seed(\d+)$")
ALIGNMENT_COLUMNS = (("mean_abs_offset", "Mean abs. offset (frames)", 1.0), ("exact_share", "Exact (%)", 100.0),
                     ("near_share", f"Within ±{NEAR_FRAMES} (%)", 100.0),
                     ("miss_rate", "Miss (%)", 100.0))  # key in alignment.json, column, scale


# ---- method names from configs ------------------------------------------------------------------------------------
def method_name(config: dict, system: str) -> str:
    """The Method column for a system's training config (the KD terms' labels come from their registry)."""
    model = config.get("model") or "espnet"
    origin = initialised_from(config)
    origin = "the teacher" if origin == "teacher" else origin
    if model == "espnet":
        if pruned_blocks(config):
            blocks = "block" if pruned_blocks(config) == 1 else f"{pruned_blocks(config)} blocks"
            return f"{origin}, layer-pruned to its first {blocks} (new CTC head, CTC fine-tuning)"
        return "teacher" if "teacher" in system.lower() else "student alone"
    if model not in ("self_kd", "kd_student"):
        return str(model)
    try:
        terms = kd_terms.config_terms(config, warn=False)
    except ValueError as error:
        log.warning("%s: %s", system, error)
        return f"{model} (KD terms unreadable: {error})"
    if model == "self_kd":
        layer = kd_terms.skd_layer(config.get("model_conf"))
        blocks = (config.get("encoder_conf") or {}).get("num_blocks", 6)
        start = f", from {origin}" if origin else ""
        return f"SKD (block {layer} of {blocks}{kd_terms.frame_term_label(terms)}{start})"
    return kd_terms.method_label(terms)


# ---- one run: one exp/<system> folder -------------------------------------------------------------------------------
@dataclass
class Run:
    """Everything the table needs from one exp/<name> folder; `missing` says why a piece is absent (and which file)."""

    name: str
    dir: Path
    seed: Optional[int] = None
    exists: bool = False
    config: Optional[dict] = None
    train: Optional[TrainLog] = None
    done: bool = False
    params: Optional[int] = None
    err: Dict[Tuple[str, str], float] = field(default_factory=dict)  # (metric, test set) -> error rate (%)
    scores: Dict[str, Dict[str, dict]] = field(default_factory=dict)  # test set -> metric -> score.json
    decode_info: Dict[str, dict] = field(default_factory=dict)
    alignment: Optional[dict] = None  # alignment.json of ctc_kd.bin.alignment (spike timing vs the teacher)
    missing: Dict[str, str] = field(default_factory=dict)  # "config", "params", "time", "cer/dev", ...: reason

    @property
    def train_seconds(self) -> Optional[float]:
        return self.train.seconds if self.train is not None and self.done else None

    @property
    def parent(self) -> Optional[str]:
        """The exp folder this run was initialised from (ESPnet's init_param), e.g. an earlier FPKD stage."""
        return initialised_from(self.config) or None

    @property
    def selection_metric(self) -> str:
        """The valid number ESPnet picks checkpoints on (best_model_criterion), e.g. cer_ctc or SKD's cer_ctc_sub."""
        for criterion in (self.config or {}).get("best_model_criterion") or []:
            if len(criterion) >= 2 and criterion[0] == "valid":
                return str(criterion[1])
        return "cer_ctc"

    def epochs_before(self) -> int:
        """Epochs of the runs this one continues (FPKD stage 3 <- 2 <- 1), so that chained curves line up."""
        total, seen, run = 0, {self.name}, self
        while run.parent and run.parent not in seen:
            seen.add(run.parent)
            parent = Run(run.parent, self.dir.parent / run.parent)
            parent.config = read_config(parent.dir / "config.yaml")
            if (parent.dir / "train.log").is_file():
                total += read_train_log(parent.dir / "train.log").epochs
            run = parent
        return total

    def valid_curve(self) -> Dict[int, float]:
        """The selection metric after each epoch (error rates in %), on the epochs of its whole chain."""
        if self.train is None:
            return {}
        key, offset = self.selection_metric, self.epochs_before()
        scale = 100.0 if key.startswith(("cer", "wer")) else 1.0
        return {epoch + offset: values[key] * scale for epoch, values in sorted(self.train.valid.items())
                if key in values}

    def to_dict(self) -> dict:
        return {
            "name": self.name, "dir": str(self.dir), "seed": self.seed, "exists": self.exists, "done": self.done,
            "method": method_name(self.config, self.name) if self.config is not None else None,
            "params": self.params, "train_seconds": self.train_seconds,
            "train_log": self.train.to_dict() if self.train is not None else None,
            "max_epoch": (self.config or {}).get("max_epoch"), "init_from": self.parent,
            "scores": self.scores, "decode_info": self.decode_info, "alignment": self.alignment,
            "missing": self.missing,
        }


def read_config(path: Path) -> Optional[dict]:
    """A run's config.yaml as a dict ({} when empty), or None when the file is absent."""
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _read_json(path: Path, what: str, missing: Dict[str, str], key: str) -> Optional[dict]:
    """A JSON file's content, or None with the reason noted under missing[key] and a warning naming the file."""
    if not path.is_file():
        missing[key] = f"`{path}` is missing"
        log.warning("%s is missing: %s", path, what)
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        missing[key] = f"`{path}` is unreadable ({e})"
        log.warning("%s is unreadable (%s): %s", path, e, what)
        return None


def load_run(exp_dir: Path, name: str, test_sets: Sequence[str], decoder: str, align_set: Optional[str] = None) -> Run:
    """Read config, train.log, exported model, scores (and alignment) of exp/<name>, noting each missing piece."""
    d = exp_dir / name
    m = _SEED.search(name)
    r = Run(name, d, seed=int(m.group(1)) if m else None)
    if not d.is_dir():
        r.missing["dir"] = f"`{d}` does not exist: not trained yet"
        log.warning("%s does not exist: %s is shown as n/a (not trained yet?)", d, name)
        return r
    r.exists = True
    config_file = d / "config.yaml"
    r.config = read_config(config_file)
    if r.config is not None:
        if r.seed is None and isinstance(r.config.get("seed"), int) and not m:
            r.seed = r.config["seed"]
    else:
        r.missing["config"] = f"`{config_file}` is missing"
        log.warning("%s is missing: method shown as n/a", config_file)
    r.done = (d / ".done").exists()
    log_file = d / "train.log"
    if log_file.is_file():
        r.train = read_train_log(log_file)
        r.done = r.done or r.train.end is not None
        if not r.done:
            max_epoch = (r.config or {}).get("max_epoch", "?")
            r.missing["time"] = (f"{name}: training not finished ({r.train.epochs} of {max_epoch} epochs in "
                                 f"`{log_file}`, {format_seconds(r.train.seconds)} so far)")
            log.warning("%s: training not finished (%d of %s epochs logged)", log_file, r.train.epochs, max_epoch)
    elif (d / EXTERNAL_CHECKPOINT).exists():
        r.done = True
        r.missing["time"] = f"{name} was trained elsewhere (`{d / EXTERNAL_CHECKPOINT}`): no train.log"
        log.warning("%s is missing (%s trained elsewhere): training time shown as n/a", log_file, name)
    else:
        r.missing["time"] = f"`{log_file}` is missing"
        log.warning("%s is missing: training time shown as n/a", log_file)
    for test_set in test_sets:
        out = d / f"decode_{decoder}" / test_set
        r.scores[test_set] = {}
        for metric in METRICS:
            score_file = out / f"score_{metric}" / "score.json"
            what = f"{metric.upper()} of {name} on {test_set} shown as n/a"
            score = _read_json(score_file, what, r.missing, f"{metric}/{test_set}")
            if score is None:
                continue
            if not isinstance(score.get("err"), (int, float)):
                r.missing[f"{metric}/{test_set}"] = f"`{score_file}` has no number 'err'"
                log.warning("%s has no number 'err': shown as n/a", score_file)
                continue
            r.scores[test_set][metric] = score
            r.err[(metric, test_set)] = float(score["err"])
        info = _read_json(out / "decode_info.json", f"decoder of {name} on {test_set} (--decoder used instead)",
                          {}, "")
        if info is not None:
            r.decode_info[test_set] = info
            if info.get("decoder") not in (None, decoder):
                log.warning("%s says decoder %s, but it is under decode_%s", out / "decode_info.json",
                            info.get("decoder"), decoder)
    read_params(r)
    if align_set is not None:
        path = d / "alignment" / align_set / "alignment.json"
        r.alignment = _read_json(path, f"spike timing of {name} shown as n/a (stage 13: alignment analysis)",
                                 r.missing, "alignment")
        if r.alignment is not None and not r.alignment.get("teacher_spikes"):
            r.missing["alignment"] = f"`{path}` counts no teacher spikes: no offsets or rates"
    return r


def read_params(r: Run) -> None:
    """#Params of the export, or as decoding recorded it (a clone of the repository has the results, not the model)."""
    model_file = r.dir / "export" / "model.pth"
    if model_file.is_file():
        try:
            r.params = count_parameters(model_file)
        except Exception as e:  # a half-written or foreign file must not stop the table
            r.missing["params"] = f"`{model_file}` is unreadable ({type(e).__name__})"
            log.warning("%s is unreadable (%s): #Params shown as n/a", model_file, e)
        return
    recorded = [info["params"] for info in r.decode_info.values() if isinstance(info.get("params"), int)]
    if recorded:
        r.params = recorded[0]
        return
    r.missing["params"] = f"`{model_file}` is missing (not exported yet) and no decode_info.json records #params"
    log.warning("%s is missing and no decode_info.json records #params: #Params shown as n/a", model_file)


# ---- rows: a system and its runs ----------------------------------------------------------------------------------
@dataclass
class Stats:
    """Mean and spread of one error rate over the runs that have it."""

    values: List[float]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> Optional[float]:
        return statistics.fmean(self.values) if self.values else None

    @property
    def std(self) -> Optional[float]:
        return statistics.stdev(self.values) if self.n >= 2 else None

    def text(self, scale: float = 1.0, digits: int = 2) -> str:
        """mean, and with several values ± sample std [min–max], each times scale."""
        text = f"{self.mean * scale:.{digits}f}"
        if self.n >= 2:
            text += (f" ± {self.std * scale:.{digits}f} [{min(self.values) * scale:.{digits}f}–"
                     f"{max(self.values) * scale:.{digits}f}]")
        return text

    def to_dict(self) -> dict:
        return {"values": self.values, "n": self.n, "mean": self.mean, "std": self.std,
                "min": min(self.values, default=None), "max": max(self.values, default=None)}


@dataclass
class Row:
    """One table row: a system name and its runs (seeds)."""

    name: str
    runs: List[Run]

    def stats(self, metric: str, test_set: str) -> Stats:
        return Stats([r.err[(metric, test_set)] for r in self.runs if (metric, test_set) in r.err])

    def alignment_stats(self, key: str) -> Stats:
        """One number of alignment.json (e.g. miss_rate) over the runs that have it."""
        return Stats([r.alignment[key] for r in self.runs
                      if r.alignment is not None and isinstance(r.alignment.get(key), (int, float))])

    @property
    def n(self) -> int:
        return sum(r.exists for r in self.runs)

    @cached_property
    def method(self) -> Optional[str]:
        """The Method column from the runs' configs (warned once when seeds disagree)."""
        names = list(dict.fromkeys(method_name(r.config, self.name) for r in self.runs if r.config is not None))
        if len(names) > 1:
            log.warning("the runs of %s have different methods: %s", self.name, "; ".join(names))
        return " / ".join(names) if names else None

    @property
    def learning_rate(self) -> Optional[float]:
        """The configured (peak) learning rate when every run has the same one."""
        rates = {(r.config.get("optim_conf") or {}).get("lr") for r in self.runs if r.config is not None}
        if len(rates) != 1:
            return None
        (rate,) = rates
        return rate if isinstance(rate, (int, float)) else None

    @property
    def train_seconds(self) -> Optional[float]:
        times = [r.train_seconds for r in self.runs if r.train_seconds is not None]
        return statistics.fmean(times) if times else None


def find_run_names(exp_dir: Path, name: str) -> List[str]:
    """The folders of a system: exp/<name> if present, then exp/<name>_seed<k> by k."""
    seeds = [p.name for p in exp_dir.glob(f"{name}_seed*") if p.is_dir() and _SEED.fullmatch(p.name[len(name):])]
    seeds.sort(key=lambda s: int(_SEED.search(s).group(1)))
    return ([name] if (exp_dir / name).is_dir() else []) + seeds


class Notes:
    """Numbered footnotes: each distinct text once, referenced as [^k]."""

    def __init__(self):
        self.texts: List[str] = []
        self.printed = 0

    def mark(self, texts: Sequence[str]) -> str:
        marks = []
        for text in dict.fromkeys(texts):
            if text not in self.texts:
                self.texts.append(text)
            marks.append(f"[^{self.texts.index(text) + 1}]")
        return "".join(marks)

    def flush(self) -> List[str]:
        """Definitions of the notes marked since the last flush."""
        new = self.texts[self.printed:]
        lines = [f"[^{self.printed + i + 1}]: {t}" for i, t in enumerate(new)]
        self.printed = len(self.texts)
        return [""] + lines if lines else []


def format_seconds(seconds: float) -> str:
    """h:mm:ss."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def relative_reduction(base: float, system: float) -> float:
    """Relative error reduction in percent: (base - system) / base * 100 (positive: fewer errors than the base)."""
    return (base - system) / base * 100.0


def _fmt1(x: float) -> str:
    """One decimal, without a negative zero."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


BEYOND_SPREAD = "†"  # marks a relative reduction whose seed ranges do not overlap the baseline's
PLOTS_DIR = "plots"  # beside RESULTS.md: the spike-timing pictures the table links


# ---- the tables ---------------------------------------------------------------------------------------------------
class Table:
    """Builds RESULTS.md and results.json from the rows."""

    def __init__(self, rows: List[Row], baseline: Optional[Row], test_sets: Sequence[str], decoder: str,
                 align_set: Optional[str] = None, align_teacher: Optional[str] = None, links_from: Path = Path(".")):
        self.rows, self.baseline, self.test_sets, self.decoder = rows, baseline, list(test_sets), decoder
        self.align_set, self.align_teacher, self.links_from = align_set, align_teacher, links_from
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
        s = row.stats(metric, test_set)
        reasons = self._run_reasons(row, f"{metric}/{test_set}")
        if s.n == 0:
            return NA + self.notes.mark(reasons or [f"{row.name}: no runs found"])
        text = s.text()
        if reasons:
            text += self.notes.mark([f"{row.name} {metric.upper()} on {test_set}: mean over {s.n} of "
                                     f"{len(row.runs)} runs; " + "; ".join(reasons)])
        return text

    def reduction(self, row: Row, metric: str, test_set: str) -> Optional[float]:
        if self.baseline is None:
            return None
        base, mine = self.baseline.stats(metric, test_set).mean, row.stats(metric, test_set).mean
        if base is None or mine is None or base == 0:
            return None
        return relative_reduction(base, mine)

    def is_baseline(self, row: Row) -> bool:
        return row.name == self.baseline.name or _SEED.sub("", row.name) == self.baseline.name

    def beyond_seed_spread(self, row: Row, metric: str, test_set: str) -> Optional[bool]:
        """Whether the seeds of row and baseline do not overlap at all (None: fewer than 2 runs on a side)."""
        mine, base = row.stats(metric, test_set).values, self.baseline.stats(metric, test_set).values
        if len(mine) < 2 or len(base) < 2:
            return None
        return max(mine) < min(base) or min(mine) > max(base)

    def reduction_cell(self, row: Row, metric: str, test_set: str) -> str:
        if self.is_baseline(row):
            return "—"
        value = self.reduction(row, metric, test_set)
        if value is not None:
            return _fmt1(value) + (BEYOND_SPREAD if self.beyond_seed_spread(row, metric, test_set) else "")
        base = self.baseline.stats(metric, test_set).mean
        if base is None:
            why = [f"the baseline {self.baseline.name} has no {metric.upper()} on {test_set}"]
        elif base == 0:
            why = [f"the baseline {self.baseline.name} has 0 errors on {test_set}: no relative reduction"]
        else:
            why = self._run_reasons(row, f"{metric}/{test_set}") or [f"{row.name}: no runs found"]
        return NA + self.notes.mark(why)

    def params_cell(self, row: Row) -> str:
        values = sorted({r.params for r in row.runs if r.params is not None})
        if not values:
            return NA + self.notes.mark(self._run_reasons(row, "params") or [f"{row.name}: no runs found"])
        if len(values) == 1:
            return f"{values[0] / 1e6:.2f}"
        return f"{values[0] / 1e6:.2f}–{values[-1] / 1e6:.2f}"

    def time_cell(self, row: Row) -> str:
        seconds = row.train_seconds
        reasons = self._run_reasons(row, "time")
        parents = sorted({_SEED.sub("", r.parent) for r in row.runs if r.parent})
        if parents:
            reasons.append(f"{row.name} continues from {', '.join(parents)}: that training time is not included")
        if seconds is None:
            return NA + self.notes.mark(reasons or [f"{row.name}: no runs found"])
        return format_seconds(seconds) + (self.notes.mark(reasons) if reasons else "")

    def decoder_cell(self, row: Row) -> str:
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
        base_lr = self.baseline.learning_rate if self.baseline is not None else None
        if row.learning_rate is not None and base_lr is not None and row.learning_rate != base_lr:
            method += f", lr {row.learning_rate:g}"
        return method

    def metric_table(self, metric: str) -> List[str]:
        name = metric.upper()
        several = any(len(row.runs) > 1 for row in self.rows)
        head = ["System", "Method", "#Params (M)", "n"] + [f"{t} {name} (%)" for t in self.test_sets]
        if self.baseline is not None:
            head += [f"{t} rel. red. (%)" for t in self.test_sets]
        head += ["Training time" + (" (per run)" if several else ""), "Decoder"]
        align = ["---", "---", "---:", "---:"] + ["---:"] * (len(head) - 6) + ["---:", "---"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
        for row in self.rows:
            cells = [row.name, self.method_cell(row), self.params_cell(row), str(row.n)]
            cells += [self.error_cell(row, metric, t) for t in self.test_sets]
            if self.baseline is not None:
                cells += [self.reduction_cell(row, metric, t) for t in self.test_sets]
            cells += [self.time_cell(row), self.decoder_cell(row)]
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def legend(self, metric: str) -> List[str]:
        text = (f"{metric.upper()} in % from `<exp>/<run>/decode_{self.decoder}/<test set>/score_{metric}/score.json`; "
                "n = runs (seeds) found; with n > 1: mean ± sample standard deviation [min–max].")
        if self.baseline is not None:
            text += (f" Rel. red. = relative error reduction vs `{self.baseline.name}` (mean of its runs): "
                     "(baseline − system) / baseline × 100, positive = fewer errors; "
                     f"{BEYOND_SPREAD} = beyond the seed spread: every run of the system is better (or every run "
                     "worse) than every run of the baseline.")
        text += (" #Params: trained parameters of `export/model.pth` (normalisation and batch-norm statistics and the"
                 " mel filterbank not counted). Training time: sum of ESPnet's per-epoch times in `train.log`.")
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
            folder = r.dir / "alignment" / str(self.align_set)
            pngs = (("posteriors", "posteriors.png"), ("offsets", "offsets.png"))
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
        return ["", (f"Spike timing of each student against `{self.align_teacher}` on `{self.align_set}` "
                     f"(`<exp>/<run>/alignment/{self.align_set}/alignment.json`, `python -m ctc_kd.bin.alignment`). "
                     "A spike is the first frame of a run of frames whose argmax is one non-blank token; each teacher "
                     "spike is paired with the nearest student spike of the same token. Mean abs. offset: frames "
                     "between them, over paired teacher spikes (a few far pairings pull it up); Exact: offset 0; "
                     f"Within ±{NEAR_FRAMES}: at most {NEAR_FRAMES} frame apart; Miss: no student spike of that "
                     "token in the utterance (or within its max_offset); Exact, Within and Miss in % of all teacher "
                     "spikes. n > 1: mean ± sample standard deviation [min–max] over runs. Plots: one utterance's "
                     "posteriors with the spikes, and the offset histogram.")]

    def valid_curves(self) -> Dict[str, List[Dict[int, float]]]:
        return {row.name: [r.valid_curve() for r in row.runs] for row in self.rows}

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

    def per_run_table(self) -> List[str]:
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
        systems = []
        for row in self.rows:
            metrics = {}
            for metric in METRICS:
                metrics[metric] = {}
                for t in self.test_sets:
                    entry = row.stats(metric, t).to_dict()
                    entry["rel_reduction"] = self.reduction(row, metric, t)
                    entry["beyond_seed_spread"] = (None if self.baseline is None or self.is_baseline(row)
                                                   else self.beyond_seed_spread(row, metric, t))
                    metrics[metric][t] = entry
            params = [r.params for r in row.runs if r.params is not None]
            systems.append({"name": row.name, "method": row.method, "n": row.n, "params": params[0] if params else None,
                            "train_seconds": row.train_seconds, "decoder": self.decoder_cell(row), "metrics": metrics,
                            "runs": [r.to_dict() for r in row.runs]})
        if self.align_set is not None:
            for entry, row in zip(systems, self.rows):
                entry["alignment"] = None if row.name == self.align_teacher else {
                    key: row.alignment_stats(key).to_dict() for key, _, _ in ALIGNMENT_COLUMNS}
        return {"baseline": self.baseline.name if self.baseline is not None else None, "test_sets": self.test_sets,
                "decoder": self.decoder, "align_set": self.align_set, "align_teacher": self.align_teacher,
                "systems": systems}


RECIPE_COMMANDS = "recipe_commands"  # exp/<run>/recipe_commands: each recipe call that trained (or resumed) the run


def training_commands(rows: List[Row]) -> List[Tuple[str, List[str]]]:
    """The recipe calls that trained the runs, in order of first use, each with the runs it trained."""
    runs_of: Dict[str, List[str]] = {}
    for row in rows:
        for r in row.runs:
            path = r.dir / RECIPE_COMMANDS
            if not path.is_file():
                continue
            for command in dict.fromkeys(path.read_text(encoding="utf-8").splitlines()):
                if command.strip():
                    runs_of.setdefault(command.strip(), []).append(r.name)
    return list(runs_of.items())


def how_produced(commands: Sequence[str], table_command: str, date: str, env: dict, rows: List[Row]) -> List[str]:
    """The "How this was produced" section: commands, date, environment and the config of each run."""
    trained = training_commands(rows)
    lines = ["## How this was produced", ""]
    if trained:
        lines += [f"Training (each run's `{RECIPE_COMMANDS}`; a resumed run lists every call):", "", "```sh"]
        for command, names in trained:
            lines += [f"# {', '.join(names)}", command]
        lines += ["```", ""]
    lines += ["Command(s) of this table:" if trained else "Command(s):", "", "```sh"]
    lines += list(commands) if commands else ["# not recorded (give the recipe command with --command)"]
    lines += ["```", "", f"Table: `{table_command}`", "", f"Date: {date}", "", "Environment (of the table step):", ""]
    gpus = ", ".join(env["gpus"]) if env["gpus"] else "none"
    lines += [
        f"- Python {env['python']}, torch {env['torch']}, ESPnet {env['espnet'] or 'not installed'}"
        + (f", ctc_kd {env['ctc_kd']}" if env.get("ctc_kd") else ""),
        (f"- CPU: {env['cpu']} ({env['cpu_count']} logical CPUs, {env['usable_cpus']} usable); torch threads "
         f"{env['torch_threads']}, OMP_NUM_THREADS={env['omp_num_threads'] or 'unset'}"),
        f"- GPU: {gpus}" + (f" (CUDA {env['cuda']})" if env["gpus"] else ""),
        f"- {env['platform']}",
        "", "Configs (as written by ESPnet at training time):", "",
    ]
    for row in rows:
        for r in row.runs:
            if r.config is None:
                lines.append(f"- {r.name}: {NA} (`{r.dir / 'config.yaml'}` is missing)")
                continue
            extra = []
            if r.config.get("config"):
                extra.append(f"from `{r.config['config']}`")
            if r.train is not None and r.train.torch_version:
                device = "GPU" if r.train.cuda_available and (r.config.get("ngpu") or 0) > 0 else "CPU"
                extra.append(f"trained with torch {r.train.torch_version} on {device}")
            if r.parent:
                extra.append(f"initialised from {r.parent}")
            lines.append(f"- {r.name}: `{r.dir / 'config.yaml'}`" + (f" ({'; '.join(extra)})" if extra else ""))
    return lines


def read_reading(path: Path) -> str:
    """The recipe's hand-written reading of its numbers, placed under the tables it reads."""
    if not path.is_file():
        raise ValueError(f"--reading {path} does not exist: write the reading of the results there, or drop the option")
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise ValueError(f"--reading {path} is empty: write the reading of the results there, or drop the option")
    return text


def _words(values: Sequence[str]) -> List[str]:
    """Options given as one quoted list ("dev test") or as several words."""
    return [w for v in values for w in v.split()]


def build(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Read the exp folder, write the Markdown and the JSON."""
    exp_dir = Path(args.exp_dir)
    if not exp_dir.is_dir():
        raise ValueError(f"--exp_dir {exp_dir} is not a directory; give the recipe's exp folder")
    systems, test_sets = _words(args.systems), _words(args.test_sets)
    if not systems or not test_sets:
        raise ValueError("--systems and --test_sets must name at least one system and one test set")
    if args.baseline is not None and args.baseline not in systems:
        raise ValueError(f"--baseline {args.baseline} is not one of --systems ({' '.join(systems)})")
    cache: Dict[str, Run] = {}

    def get(name: str) -> Run:
        if name not in cache:
            teacher = _SEED.sub("", name) == args.align_teacher
            cache[name] = load_run(exp_dir, name, test_sets, args.decoder, None if teacher else args.align_set)
        return cache[name]

    rows: List[Row] = []
    for name in systems:
        names = find_run_names(exp_dir, name) or [name]
        if args.seeds_grouping:
            rows.append(Row(name, [get(n) for n in names]))
        else:
            rows += [Row(n, [get(n)]) for n in names]
    baseline = None
    if args.baseline is not None:
        baseline = Row(args.baseline, [get(n) for n in find_run_names(exp_dir, args.baseline) or [args.baseline]])
    out = Path(args.out)
    table = Table(rows, baseline, test_sets, args.decoder, args.align_set, args.align_teacher, out.parent)
    env = environment()
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    table_command = "python -m ctc_kd.bin.results_table " + " ".join(
        a if a and re.fullmatch(r"[\w./:=@%+,-]+", a) else "'" + a.replace("'", "'\\''") + "'" for a in argv)

    main_metric = args.main_metric
    order = [main_metric] + [m for m in METRICS if m != main_metric]
    lines = [f"# {args.title}", ""]
    for i, metric in enumerate(order):
        lines += [f"## {metric.upper()} (%)" + (" — main metric" if i == 0 else ""), ""]
        lines += table.metric_table(metric) + table.legend(metric) + table.notes.flush() + [""]
    lines += table.curves_section(args.title)
    if args.align_set is not None:
        lines += [f"## Spike timing vs {args.align_teacher} ({args.align_set})", ""]
        lines += table.alignment_table() + table.alignment_legend() + table.notes.flush() + [""]
    if args.reading is not None:
        lines += ["## Reading", "", read_reading(Path(args.reading)), ""]
    lines += ["## Per run", ""] + table.per_run_table() + table.notes.flush() + [""]
    lines += how_produced(args.command or [], table_command, date, env, rows) + [""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    log.info("wrote %s (%d systems, %d runs)", out, len(rows), sum(len(r.runs) for r in rows))

    data = {"title": args.title, "main_metric": main_metric, "date": date, "commands": args.command or [],
            "table_command": table_command, "environment": env, "notes": table.notes.texts, **table.to_dict()}
    json_path = Path(args.json) if args.json else exp_dir / "results.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("wrote %s", json_path)
    return 0


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.results_table",
        description="Write RESULTS.md (CER/WER tables: method, #params, mean ± std over seeds, relative error "
                    "reduction vs a baseline, training time, decoder; then commands, date, environment and configs) "
                    "and results.json from a recipe's exp folder. Missing pieces are n/a with a footnote.",
    )
    parser.add_argument("--exp_dir", required=True, help="the recipe's exp folder (exp/<system>/...)")
    parser.add_argument("--systems", required=True, nargs="+",
                        help='rows in order, e.g. "teacher student_alone student_sfmx_kd"; a name also takes its '
                             "<name>_seed<k> folders")
    parser.add_argument("--test_sets", required=True, nargs="+", help='e.g. "dev test"')
    parser.add_argument("--decoder", default="greedy", help="reads exp/<system>/decode_<decoder>/ (default greedy)")
    parser.add_argument("--baseline", default=None,
                        help="the system relative error reductions refer to (one of --systems); none: no such column")
    parser.add_argument("--main_metric", choices=METRICS, default="cer", help="the metric of the first table")
    parser.add_argument("--align_set", default=None,
                        help="add the spike-timing table from exp/<system>/alignment/<set>/alignment.json "
                             "(ctc_kd.bin.alignment) for this set; default: no such table")
    parser.add_argument("--align_teacher", default="teacher",
                        help="the system the students were aligned against: left out of the spike-timing table")
    parser.add_argument("--title", default="Results", help="the title of RESULTS.md")
    parser.add_argument("--command", action="append", default=None,
                        help="the command line(s) that produced the experiments (repeatable)")
    parser.add_argument("--seeds-grouping", "--seeds_grouping", action=argparse.BooleanOptionalAction, default=True,
                        help="one row per system over its _seed<k> runs (default); --no-seeds-grouping: a row per run")
    parser.add_argument("--reading", default=None,
                        help="a Markdown file with the reading of the results, included as the Reading section")
    parser.add_argument("--out", default="RESULTS.md", help="the Markdown file to write")
    parser.add_argument("--json", default=None, help="the JSON file with all numbers (default <exp_dir>/results.json)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = get_parser().parse_args(argv)
    return run(lambda: build(args, argv))


if __name__ == "__main__":
    sys.exit(main())
