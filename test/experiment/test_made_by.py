"""The record of what made a training: the same settings pass, a changed key is named with both values."""
import hashlib
import json

import yaml

from ctc_kd.bin.made_by import main
from ctc_kd.experiment.layout import MADE_BY
from ctc_kd.experiment.made_by import current_record, differences, flatten


def test_flatten_gives_one_comparable_value_per_leaf():
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": None}) == {"a.b": "1", "a.c": "[1, 2]", "d": "null"}


def test_a_file_is_recorded_by_its_content_and_a_missing_one_is_left_out(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("<blank>\na\n")
    record = current_record(None, ["seed=2"], [f"token_list={tokens}", f"teacher={tmp_path / 'absent.pth'}"])
    assert record == {"seed": "2", "token_list.sha256": hashlib.sha256(b"<blank>\na\n").hexdigest()}


def test_differences_name_the_key_and_both_values():
    then = {"config.optim_conf.lr": "0.005", "seed": "1", "teacher.sha256": "abc"}
    now = {"config.optim_conf.lr": "0.01", "seed": "1", "config.new_key": "true"}
    assert differences(then, now) == ["config.new_key: (not set) -> true", "config.optim_conf.lr: 0.005 -> 0.01"]


def write_config(path, lr=0.005, size=16):
    path.write_text(yaml.safe_dump({"optim_conf": {"lr": lr}, "encoder_conf": {"output_size": size},
                                    "best_model_criterion": [["valid", "cer_ctc", "min"]]}))
    return path


def test_first_run_records_then_same_passes_and_a_change_is_refused(tmp_path, capsys):
    exp = tmp_path / "exp" / "student"
    config = write_config(tmp_path / "train.yaml")
    assert main([str(exp), "--config", str(config), "--value", "seed=1"]) == 0
    assert not (exp / MADE_BY).exists()  # a check alone writes nothing
    assert main([str(exp), "--config", str(config), "--value", "seed=1", "--write"]) == 0
    record = json.loads((exp / MADE_BY).read_text())
    assert record["config.optim_conf.lr"] == "0.005" and record["seed"] == "1"
    assert main([str(exp), "--config", str(config), "--value", "seed=1"]) == 0

    write_config(config, lr=0.01, size=32)
    capsys.readouterr()
    assert main([str(exp), "--config", str(config), "--value", "seed=1", "--write"]) == 1
    assert capsys.readouterr().out.splitlines() == ["config.encoder_conf.output_size: 16 -> 32",
                                                    "config.optim_conf.lr: 0.005 -> 0.01"]
    assert json.loads((exp / MADE_BY).read_text()) == record  # the record of the run is never rewritten
