"""The stage script's questions about experiment folders: which checkpoint, which parent, what to initialise from."""
import pytest
import yaml

from ctc_kd.bin.experiment_info import EXTERNAL_CHECKPOINT, best_checkpoint, init_param, main, parent


def make_exp(tmp_path, files=(), criterion=(("valid", "cer_ctc", "min"),), model_conf=None):
    exp = tmp_path / "exp" / "student"
    exp.mkdir(parents=True)
    config = {"best_model_criterion": [list(c) for c in criterion], "model_conf": model_conf or {}}
    (exp / "config.yaml").write_text(yaml.safe_dump(config))
    for name in files:
        (exp / name).write_bytes(b"")
    return exp


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


def test_parent_of_a_chain():
    chain = "student_fpkd_stage2:student_fpkd_stage1 student_fpkd_stage3:student_fpkd_stage2"
    assert parent("student_fpkd_stage3", chain) == "student_fpkd_stage2"
    assert parent("student_alone", chain) == ""
    with pytest.raises(SystemExit, match="'student_fpkd_stage2' is not child:parent"):
        parent("x", "student_fpkd_stage2")


def test_init_param_leaves_out_projections_the_child_does_not_use(tmp_path):
    exp = make_exp(tmp_path, ["valid.cer_ctc.best.pth"])
    uses = tmp_path / "stage2.yaml"
    uses.write_text(yaml.safe_dump({"model_conf": {"repr_kd_weight": 1.0}}))
    drops = tmp_path / "stage3.yaml"
    drops.write_text(yaml.safe_dump({"model_conf": {"fkl_weight": 1.0}}))
    assert init_param(exp, uses) == str(exp / "valid.cer_ctc.best.pth")
    assert init_param(exp, drops) == f"{exp / 'valid.cer_ctc.best.pth'}:::repr_projections"


def test_the_command_line_prints_the_answer(tmp_path, capsys):
    exp = make_exp(tmp_path, ["valid.cer_ctc.best.pth"])
    assert main(["best-checkpoint", str(exp)]) == 0
    assert capsys.readouterr().out.strip() == str(exp / "valid.cer_ctc.best.pth")


def test_check_whole_names_a_file_cut_short(tmp_path, capsys):
    import torch

    path = tmp_path / "model.pth"
    torch.save({"w": torch.zeros(5000)}, path)
    assert main(["check-whole", str(path)]) == 0 and capsys.readouterr().out == ""
    path.write_bytes(path.read_bytes()[:4096])
    assert main(["check-whole", str(path)]) == 1
    assert capsys.readouterr().out.strip() == (f"{path} is cut short or is not a zip/torch file (4096 bytes, "
                                               "no complete zip directory)")
