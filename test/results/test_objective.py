"""ctc_kd.results.objective: a run's last epoch read as the student's CTC loss against its KD terms."""
from pathlib import Path

import pytest

from ctc_kd.results.exp_reader import Run
from ctc_kd.results.objective import last_epoch_objective
from ctc_kd.results.train_log import TrainLog


def run_with(epochs):
    """A Run whose train.log gave these [train] numbers per epoch."""
    return Run("student_x", Path("exp/student_x"), train=TrainLog("train.log", train=epochs))


def test_a_kd_student_its_terms_and_their_ratio_from_the_last_epoch_only():
    first = {"loss_ctc": 90.0, "loss_kd": 10.0, "loss_fkl": 10.0, "loss": 100.0}
    last = {"loss_ctc": 40.0, "loss_binary_kd": 6.0, "loss_fkl": 24.0, "loss_kd": 30.0, "loss": 70.0,
            "loss_scale": 1.0, "teacher_blank_ratio": 0.5}
    got = last_epoch_objective(run_with({1: first, 2: last}))
    assert got == {"ctc": 40.0, "kd": 30.0, "kd_over_ctc": pytest.approx(0.75), "term:binary_kd": 6.0,
                   "term:fkl": 24.0}


def test_an_skd_run_is_read_by_its_sub_model_and_loss_skd():
    last = {"loss_ctc": 10.0, "loss_ctc_sub": 40.0, "loss_skd": 100.0, "loss_sfmx_kd": 100.0, "alpha": 0.7}
    got = last_epoch_objective(run_with({6: last}))
    assert (got["ctc"], got["kd"], got["kd_over_ctc"]) == (40.0, 100.0, 2.5) and got["term:sfmx_kd"] == 100.0


def test_a_student_alone_has_ctc_only_and_an_unstarted_run_nothing():
    assert last_epoch_objective(run_with({1: {"loss_ctc": 55.0, "loss": 55.0}})) == {"ctc": 55.0}
    assert last_epoch_objective(run_with({})) == {}
    assert last_epoch_objective(Run("student_y", Path("exp/student_y"))) == {}
