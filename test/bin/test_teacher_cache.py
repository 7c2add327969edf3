"""The teacher_cache command writes a finished cache and says what is wrong with bad input."""
import json

import pytest
from tiny_models import save_model, tiny_config, write_data_dir

from ctc_kd.bin import teacher_cache


def test_command_writes_the_cache_and_its_meta(tmp_path):
    config, weights = save_model(tiny_config(width=24, blocks=3), tmp_path / "teacher")
    data = write_data_dir(tmp_path / "data", lengths=(16000, 8000))
    out = tmp_path / "cache"
    assert teacher_cache.main(["--teacher_config", str(config), "--teacher_model_file", str(weights), "--data_dir",
                               str(data), "--out_dir", str(out), "--topk", "3", "--hidden_layers", "-1", "2"]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["num_utterances"] == 2 and meta["topk"] == 3 and meta["hidden_layers"] == [-1, 2]
    assert (out / "teacher_posteriors.scp").read_text().count("\n") == 2
    assert (out / "teacher_hidden_2.scp").exists() and (out / "teacher_hidden_out.scp").exists()


def test_missing_teacher_checkpoint_is_named(tmp_path):
    config, _ = save_model(tiny_config(), tmp_path / "teacher")
    data = write_data_dir(tmp_path / "data", lengths=(8000,))
    with pytest.raises(FileNotFoundError, match="nowhere.pth does not exist: pass the teacher's selected checkpoint"):
        teacher_cache.main(["--teacher_config", str(config), "--teacher_model_file", str(tmp_path / "nowhere.pth"),
                            "--data_dir", str(data), "--out_dir", str(tmp_path / "cache")])
