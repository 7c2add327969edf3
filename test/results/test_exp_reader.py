"""One run read from exp/: its numbers, and each missing or broken piece noted with the file it should come from."""
import json

from exp_trees import make_run, params_of

from ctc_kd.results.exp_reader import load_run


def test_a_finished_run_gives_its_numbers(tmp_path):
    make_run(tmp_path, "student_seed3", seed=7, scores={"dev": (10.0, 30.0)})
    run = load_run(tmp_path, "student_seed3", ["dev"], "greedy")
    assert (run.exists, run.done, run.seed, run.params) == (True, True, 3, params_of(96))  # the name's seed wins
    assert run.err == {("cer", "dev"): 10.0, ("wer", "dev"): 30.0} and run.train_seconds == 70.0
    assert run.decode_info["dev"]["decoder"] == "greedy" and run.missing == {}
    assert load_run(tmp_path, "student_seed3", ["dev"], "greedy").seed == 3
    make_run(tmp_path, "student", seed=7)
    assert load_run(tmp_path, "student", [], "greedy").seed == 7  # no _seed<k>: the config's


def test_missing_and_broken_pieces_are_noted(tmp_path):
    d = make_run(tmp_path, "student", scores={"dev": (10.0, 30.0)}, done=False, finished=None)
    (d / "config.yaml").unlink()
    (d / "decode_greedy" / "dev" / "score_wer" / "score.json").write_text(json.dumps({"err": "many"}))
    (d / "decode_greedy" / "dev" / "score_cer" / "score.json").write_text("{not json")
    run = load_run(tmp_path, "student", ["dev"], "greedy", align_set="dev")
    assert run.missing["config"] == f"`{d / 'config.yaml'}` is missing"
    assert run.missing["time"].startswith("student: training not finished (1 of ? epochs in ")
    assert run.missing["wer/dev"] == f"`{d / 'decode_greedy/dev/score_wer/score.json'}` has no number 'err'"
    assert run.missing["cer/dev"].startswith(f"`{d / 'decode_greedy/dev/score_cer/score.json'}` is unreadable (")
    assert run.missing["alignment"] == f"`{d / 'alignment/dev/alignment.json'}` is missing"
    assert run.err == {} and run.train_seconds is None
    absent = load_run(tmp_path, "never", ["dev"], "greedy")
    assert not absent.exists and absent.missing == {"dir": f"`{tmp_path / 'never'}` does not exist: not trained yet"}


def test_a_teacher_trained_elsewhere_is_done_without_a_log(tmp_path):
    d = make_run(tmp_path, "teacher", done=False)
    (d / "train.log").unlink()
    (d / "external.pth").write_bytes(b"")
    run = load_run(tmp_path, "teacher", [], "greedy")
    assert run.done and run.missing["time"] == f"teacher was trained elsewhere (`{d / 'external.pth'}`): no train.log"
