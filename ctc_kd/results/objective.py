"""What a run's training minimised in its last epoch: the student's CTC loss against its KD terms as optimised."""
from typing import Dict

from ctc_kd.results.exp_reader import Run

STUDENT_CTC_KEYS = ("loss_ctc_sub", "loss_ctc")  # the student's CTC loss in train.log; an SKD run's is its sub-model's
KD_TOTAL_KEYS = ("loss_kd", "loss_skd")  # the sum of the KD terms as optimised (a KD student's, an SKD run's)
_NOT_KD_TERMS = {"loss", "loss_att", "loss_scale", *STUDENT_CTC_KEYS, *KD_TOTAL_KEYS}  # loss_scale: ESPnet's AMP


def last_epoch_objective(run: Run) -> Dict[str, float]:
    """The last completed epoch's [train] numbers of train.log as "ctc", "kd", "kd_over_ctc" and "term:<name>",
    each only when logged (a student alone has "ctc" only; a run without a finished epoch nothing)."""
    numbers = run.train.last_train if run.train is not None else {}
    found = {"ctc": next((numbers[k] for k in STUDENT_CTC_KEYS if k in numbers), None),
             "kd": next((numbers[k] for k in KD_TOTAL_KEYS if k in numbers), None)}
    if found["kd"] is not None and found["ctc"]:
        found["kd_over_ctc"] = found["kd"] / found["ctc"]
    found.update({f"term:{k[len('loss_'):]}": v for k, v in numbers.items()
                  if k.startswith("loss_") and k not in _NOT_KD_TERMS})
    return {key: value for key, value in found.items() if value is not None}
