"""One run of the results table as exp/<run> holds it, each missing piece noted with the file it should come from."""
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

from ctc_kd.experiment.config_file import read_config
from ctc_kd.experiment.layout import (ALIGNMENT, CONFIG, DECODE_INFO, DONE, EXTERNAL_CHECKPOINT, TRAIN_LOG,
                                      alignment_dir, decode_dir, exported_model, score_file, seed_of)
from ctc_kd.init.origin import initialised_from, initialised_from_path
from ctc_kd.models.param_count import count_parameters
from ctc_kd.results.formatting import format_seconds
from ctc_kd.results.labels import method_name
from ctc_kd.results.train_log import TrainLog, read_train_log

log = logging.getLogger(__name__)

METRICS = ("cer", "wer")  # the error rates every decoded set is scored in
UNIT_NAMES = {"cer": "characters", "wer": "words"}  # what each metric counts


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
        """The training time of a finished run (an unfinished one's would understate it)."""
        return self.train.seconds if self.train is not None and self.done else None

    @property
    def parent(self) -> Optional[str]:
        """The exp folder this run was initialised from (ESPnet's init_param), e.g. an earlier FPKD stage."""
        return initialised_from(self.config) or None

    @property
    def parent_path(self) -> Optional[str]:
        """That folder as its init_param wrote it (e.g. exp/round1/teacher), to name it unambiguously."""
        return initialised_from_path(self.config) or None

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
            parent.config = read_config(parent.dir / CONFIG)
            if (parent.dir / TRAIN_LOG).is_file():
                total += read_train_log(parent.dir / TRAIN_LOG).epochs
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
        """The run as results.json keeps it."""
        return {
            "name": self.name, "dir": str(self.dir), "seed": self.seed, "exists": self.exists, "done": self.done,
            "method": method_name(self.config, self.name) if self.config is not None else None,
            "params": self.params, "train_seconds": self.train_seconds,
            "train_log": self.train.to_dict() if self.train is not None else None,
            "max_epoch": (self.config or {}).get("max_epoch"), "init_from": self.parent,
            "scores": self.scores, "decode_info": self.decode_info, "alignment": self.alignment,
            "missing": self.missing,
        }


def read_json(path: Path, what: str, missing: Dict[str, str], key: str) -> Optional[dict]:
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
    r = Run(name, d, seed=seed_of(name))
    if not d.is_dir():
        r.missing["dir"] = f"`{d}` does not exist: not trained yet"
        log.warning("%s does not exist: %s is shown as n/a (not trained yet?)", d, name)
        return r
    r.exists = True
    read_run_config(r)
    read_training(r)
    for test_set in test_sets:
        read_decoding(r, test_set, decoder)
    read_params(r)
    if align_set is not None:
        read_alignment(r, align_set)
    return r


def read_run_config(r: Run) -> None:
    """The run's config.yaml, and from it the seed of a run not named <system>_seed<k>."""
    config_file = r.dir / CONFIG
    r.config = read_config(config_file)
    if r.config is not None:
        if r.seed is None and isinstance(r.config.get("seed"), int):
            r.seed = r.config["seed"]
    else:
        r.missing["config"] = f"`{config_file}` is missing"
        log.warning("%s is missing: method shown as n/a", config_file)


def read_training(r: Run) -> None:
    """Whether the training finished, and its train.log (none for a teacher trained elsewhere)."""
    r.done = (r.dir / DONE).exists()
    log_file = r.dir / TRAIN_LOG
    if log_file.is_file():
        r.train = read_train_log(log_file)
        r.done = r.done or r.train.end is not None
        if not r.done:
            max_epoch = (r.config or {}).get("max_epoch", "?")
            r.missing["time"] = (f"{r.name}: training not finished ({r.train.epochs} of {max_epoch} epochs in "
                                 f"`{log_file}`, {format_seconds(r.train.seconds)} so far)")
            log.warning("%s: training not finished (%d of %s epochs logged)", log_file, r.train.epochs, max_epoch)
    elif (r.dir / EXTERNAL_CHECKPOINT).exists():
        r.done = True
        r.missing["time"] = f"{r.name} was trained elsewhere (`{r.dir / EXTERNAL_CHECKPOINT}`): no train.log"
        log.warning("%s is missing (%s trained elsewhere): training time shown as n/a", log_file, r.name)
    else:
        r.missing["time"] = f"`{log_file}` is missing"
        log.warning("%s is missing: training time shown as n/a", log_file)


def read_decoding(r: Run, test_set: str, decoder: str) -> None:
    """The scores of one test set's decoding and how it was decoded (decode_info.json)."""
    out = decode_dir(r.dir, decoder, test_set)
    r.scores[test_set] = {}
    for metric in METRICS:
        path = score_file(out, metric)
        what = f"{metric.upper()} of {r.name} on {test_set} shown as n/a"
        score = read_json(path, what, r.missing, f"{metric}/{test_set}")
        if score is None:
            continue
        if not isinstance(score.get("err"), (int, float)):
            r.missing[f"{metric}/{test_set}"] = f"`{path}` has no number 'err'"
            log.warning("%s has no number 'err': shown as n/a", path)
            continue
        r.scores[test_set][metric] = score
        r.err[(metric, test_set)] = float(score["err"])
    info = read_json(out / DECODE_INFO, f"decoder of {r.name} on {test_set} (--decoder used instead)", {}, "")
    if info is not None:
        r.decode_info[test_set] = info
        if info.get("decoder") not in (None, decoder):
            log.warning("%s says decoder %s, but it is under decode_%s", out / DECODE_INFO, info.get("decoder"),
                        decoder)


def read_params(r: Run) -> None:
    """#Params of the export, or as decoding recorded it (a clone of the repository has the results, not the model)."""
    model_file = exported_model(r.dir)
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


def read_alignment(r: Run, align_set: str) -> None:
    """The run's spike timing against the teacher on align_set (alignment.json of stage 13)."""
    path = alignment_dir(r.dir, align_set) / ALIGNMENT
    r.alignment = read_json(path, f"spike timing of {r.name} shown as n/a (stage 13: alignment analysis)", r.missing,
                            "alignment")
    if r.alignment is not None and not r.alignment.get("teacher_spikes"):
        r.missing["alignment"] = f"`{path}` counts no teacher spikes: no offsets or rates"
