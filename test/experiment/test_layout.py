"""Which checkpoint a run selected, and the names of runs and their seeds."""
import pytest
from exp_trees import make_exp

from ctc_kd.experiment.layout import EXTERNAL_CHECKPOINT, best_checkpoint, run_names, seed_of, system_of


def test_the_criterion_checkpoint_wins_over_epochs(tmp_path):
    exp = make_exp(tmp_path, ["valid.cer_ctc.best.pth", "3epoch.pth"])
    assert best_checkpoint(exp) == exp / "valid.cer_ctc.best.pth"


def test_the_first_criterion_that_has_a_file(tmp_path):
    exp = make_exp(tmp_path, ["valid.loss.best.pth"], criterion=[("valid", "cer_ctc_sub", "min"),
                                                                  ("valid", "loss", "min")])
    assert best_checkpoint(exp) == exp / "valid.loss.best.pth"


def test_without_a_selection_the_latest_epoch_in_numeric_order(tmp_path):
    exp = make_exp(tmp_path, ["9epoch.pth", "10epoch.pth", "2epoch.pth"])
    assert best_checkpoint(exp) == exp / "10epoch.pth"


def test_an_external_teacher_checkpoint(tmp_path):
    exp = make_exp(tmp_path, [EXTERNAL_CHECKPOINT, "valid.cer_ctc.best.pth"])
    assert best_checkpoint(exp) == exp / EXTERNAL_CHECKPOINT


def test_an_unfinished_training_says_to_rerun_it(tmp_path):
    exp = make_exp(tmp_path)
    with pytest.raises(SystemExit, match="has not finished; re-run its training stage"):
        best_checkpoint(exp)


def test_a_finished_run_without_its_model_says_so(tmp_path):
    """A clone of the repository holds a run's .done and results but not its checkpoints."""
    exp = make_exp(tmp_path, [".done"])
    with pytest.raises(SystemExit, match=f"only its results were kept .* delete {exp} and train it again"):
        best_checkpoint(exp)


def test_runs_of_a_system_are_the_plain_folder_then_the_seeds_by_number(tmp_path):
    for name in ("student", "student_seed10", "student_seed2", "student_seedx", "student_big_seed1"):
        (tmp_path / name).mkdir()
    (tmp_path / "student_seed3").write_text("a file, not a run")
    assert run_names(tmp_path, "student") == ["student", "student_seed2", "student_seed10"]
    assert run_names(tmp_path, "absent") == []
    assert (seed_of("student_seed10"), seed_of("student"), system_of("student_seed10")) == (10, None, "student")
