"""The rows of the results table: each system with its runs (the <system> folder and its <system>_seed<k> ones)."""
import logging
import statistics
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ctc_kd.experiment.layout import run_names, system_of
from ctc_kd.results.exp_reader import Run, load_run
from ctc_kd.results.labels import method_name
from ctc_kd.results.objective import last_epoch_objective
from ctc_kd.results.stats import Stats

log = logging.getLogger(__name__)


@dataclass
class Row:
    """One table row: a system name and its runs (seeds)."""

    name: str
    runs: List[Run]

    def stats(self, metric: str, test_set: str) -> Stats:
        """One error rate over the runs that have it."""
        return Stats([r.err[(metric, test_set)] for r in self.runs if (metric, test_set) in r.err])

    def blank_ratio_stats(self, test_set: str) -> Stats:
        """The share of frames whose greedy best-path label is blank on a test set (decode_info.json), in %."""
        return Stats([r.decode_info[test_set]["blank_ratio"] * 100.0 for r in self.runs
                      if isinstance(r.decode_info.get(test_set, {}).get("blank_ratio"), (int, float))])

    def error_type_stats(self, metric: str, test_set: str, kind: str) -> Stats:
        """Substitutions, deletions or insertions (score.json's sub, del, ins: % of the reference) over the runs."""
        return Stats([float(r.scores[test_set][metric][kind]) for r in self.runs
                      if isinstance(r.scores.get(test_set, {}).get(metric, {}).get(kind), (int, float))])

    def last_train_stats(self, key: str) -> Stats:
        """A training statistic of each run's last completed epoch (ESPnet's [train] numbers in train.log)."""
        return Stats([r.train.last_train[key] for r in self.runs if r.train is not None and key in r.train.last_train])

    def objective_stats(self) -> Dict[str, Stats]:
        """The last epoch's training objective over the runs (objective.last_epoch_objective's keys)."""
        values: Dict[str, List[float]] = {}
        for r in self.runs:
            for key, value in last_epoch_objective(r).items():
                values.setdefault(key, []).append(value)
        return {key: Stats(v) for key, v in values.items()}

    def alignment_stats(self, key: str) -> Stats:
        """One number of alignment.json (e.g. miss_rate) over the runs that have it."""
        return Stats([r.alignment[key] for r in self.runs
                      if r.alignment is not None and isinstance(r.alignment.get(key), (int, float))])

    @property
    def n(self) -> int:
        """The runs whose folder exists."""
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
        """The mean training time of the finished runs."""
        times = [r.train_seconds for r in self.runs if r.train_seconds is not None]
        return statistics.fmean(times) if times else None


def read_rows(exp_dir: Path, systems: Sequence[str], baselines: Sequence[str], test_sets: Sequence[str], decoder: str,
              align_set: Optional[str], align_teacher: str, seeds_grouping: bool) -> Tuple[List[Row], Dict[str, Row]]:
    """The rows of the systems in order (one per system, or with seeds_grouping off one per run) and a row of each
    baseline over all its runs; every run is read once, the teacher's without spike timing (it is what the students
    are aligned to)."""
    cache: Dict[str, Run] = {}

    def get(name: str) -> Run:
        if name not in cache:
            teacher = system_of(name) == align_teacher
            cache[name] = load_run(exp_dir, name, test_sets, decoder, None if teacher else align_set)
        return cache[name]

    rows: List[Row] = []
    for name in systems:
        names = run_names(exp_dir, name) or [name]
        if seeds_grouping:
            rows.append(Row(name, [get(n) for n in names]))
        else:
            rows += [Row(n, [get(n)]) for n in names]
    return rows, {b: Row(b, [get(n) for n in run_names(exp_dir, b) or [b]]) for b in baselines}
