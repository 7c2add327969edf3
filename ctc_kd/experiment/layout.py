"""The names inside a recipe's exp/ folder, spelled once for the stage script's questions and the results table.

exp/<run>/ is one training: <run> is a system name (the training config's file name without train_ and .yaml),
with _seed<k> when the recipe trains several seeds. In it ESPnet writes config.yaml, train.log, checkpoint.pth,
<k>epoch.pth and <phase>.<metric>.best.pth; the stage script adds .done, made_by.json, recipe_commands, export/,
decode_<decoder>/<set>/ (hypotheses, decode_info.json, score_<metric>/score.json) and alignment/<set>/.
"""
import re
from pathlib import Path
from typing import List, Optional

from ctc_kd.experiment.config_file import load_yaml

CONFIG = "config.yaml"  # the training's config as ESPnet wrote it
TRAIN_LOG = "train.log"  # ESPnet's log of the training (train.<n>.log: earlier starts through its launcher)
DONE = ".done"  # the training (or a stage's piece of work) finished
MADE_BY = "made_by.json"  # the settings that made the run (ctc_kd.experiment.made_by)
RECIPE_COMMANDS = "recipe_commands"  # each recipe call that trained (or resumed) the run, one a line
EXTERNAL_CHECKPOINT = "external.pth"  # exp/<teacher>/external.pth: a teacher trained elsewhere
EXPORT_DIR = "export"  # the plain ESPnet model: config.yaml, model.pth and side files
EXPORTED_MODEL = "model.pth"
DECODE_INFO = "decode_info.json"  # how a set was decoded: decoder, settings, #params, speed
SCORE = "score.json"  # the numbers of one scoring (ctc_kd.scoring)
ALIGNMENT = "alignment.json"  # the spike timing of a student against the teacher (ctc_kd.alignment)
POSTERIORS_PNG, OFFSETS_PNG = "posteriors.png", "offsets.png"  # the plots beside alignment.json
ALIGNMENT_LOG = "alignment.log"  # its log, beside it
RESULTS_JSON = "results.json"  # exp/results.json: every number of RESULTS.md (ctc_kd.results)
SEED = re.compile(r"_seed(\d+)$")


def seed_of(run: str) -> Optional[int]:
    """The k of a run named <system>_seed<k>, None for a run of the recipe's one seed."""
    m = SEED.search(run)
    return int(m.group(1)) if m else None


def system_of(run: str) -> str:
    """The system a run belongs to: its name without _seed<k>."""
    return SEED.sub("", run)


def run_names(exp_dir: Path, system: str) -> List[str]:
    """The folders of a system: exp/<system> if present, then exp/<system>_seed<k> by k."""
    seeds = [p.name for p in exp_dir.glob(f"{system}_seed*") if p.is_dir() and SEED.fullmatch(p.name[len(system):])]
    seeds.sort(key=seed_of)
    return ([system] if (exp_dir / system).is_dir() else []) + seeds


def exported_model(run_dir: Path) -> Path:
    """The weights of a run's export."""
    return run_dir / EXPORT_DIR / EXPORTED_MODEL


def decode_dir(run_dir: Path, decoder: str, data_set: str) -> Path:
    """Where a run's decoding of a set with a decoder (greedy, beam) lives, its scores inside."""
    return run_dir / f"decode_{decoder}" / data_set


def score_file(decoded: Path, metric: str) -> Path:
    """The score.json of one metric (cer, wer, ter) of a decoding."""
    return decoded / f"score_{metric}" / SCORE


def alignment_dir(run_dir: Path, data_set: str) -> Path:
    """Where a run's spike timing against the teacher on a set lives."""
    return run_dir / "alignment" / data_set


def selected_checkpoint(run_dir: Path, phase: str, metric: str) -> Path:
    """The checkpoint ESPnet keeps for one best_model_criterion, e.g. valid.cer_ctc.best.pth."""
    return run_dir / f"{phase}.{metric}.best.pth"


def epoch_checkpoints(run_dir: Path) -> List[Path]:
    """The <k>epoch.pth of a run, by k."""
    return sorted(run_dir.glob("*epoch.pth"), key=lambda p: int(p.name.split("epoch")[0]))


def best_checkpoint(exp_dir) -> Path:
    """The checkpoint ESPnet selected by the config's first best_model_criterion (e.g. valid.cer_ctc.best.pth)."""
    exp_dir = Path(exp_dir)
    if (exp_dir / EXTERNAL_CHECKPOINT).exists():
        return exp_dir / EXTERNAL_CHECKPOINT
    config = load_yaml(exp_dir / CONFIG)
    for phase, metric, _ in config.get("best_model_criterion") or []:
        candidate = selected_checkpoint(exp_dir, phase, metric)
        if candidate.exists():
            return candidate
    epochs = epoch_checkpoints(exp_dir)
    if epochs:
        return epochs[-1]
    missing = f"ERROR: {exp_dir} has no selected checkpoint ({config.get('best_model_criterion')}) and no epoch.pth"
    if (exp_dir / DONE).exists():
        raise SystemExit(f"{missing}, though its training finished: only its results were kept (e.g. in a clone of "
                         f"the repository); delete {exp_dir} and train it again")
    raise SystemExit(f"{missing}: its training has not finished; re-run its training stage")
