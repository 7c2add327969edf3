"""A trained system's training time, epochs and parameter count, as run_info prints them."""
import logging
from pathlib import Path

from ctc_kd.experiment.layout import TRAIN_LOG, exported_model
from ctc_kd.models.param_count import count_parameters
from ctc_kd.results.train_log import read_train_log

log = logging.getLogger(__name__)


def system_info(exp_dir) -> dict:
    """Training log summary and parameter count of one exp/<system> folder (None where a file is missing)."""
    exp_dir = Path(exp_dir)
    out: dict = {"dir": str(exp_dir), "train_log": None, "params": None}
    if (exp_dir / TRAIN_LOG).is_file():
        out["train_log"] = read_train_log(exp_dir / TRAIN_LOG).to_dict()
    else:
        log.warning("%s is missing: no training time", exp_dir / TRAIN_LOG)
    if exported_model(exp_dir).is_file():
        out["params"] = count_parameters(exported_model(exp_dir))
    else:
        log.warning("%s is missing: no parameter count (run the export stage)", exported_model(exp_dir))
    return out
