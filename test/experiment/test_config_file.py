"""Reading configs: a dotted key's value, an absent key empty, an absent file named."""
import pytest
import yaml

from ctc_kd.experiment.config_file import dotted_value, read_config


def test_a_dotted_key_reads_nested_values_and_an_absent_one_is_empty(tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text(yaml.safe_dump({"model": "self_kd", "model_conf": {"skd_layer": 2, "kd_terms": None}}))
    assert dotted_value(config, "model_conf.skd_layer") == "2"
    assert dotted_value(config, "model") == "self_kd"
    assert dotted_value(config, "model_conf.kd_terms.fkl") == dotted_value(config, "model.x") == ""
    with pytest.raises(SystemExit, match=f"ERROR: {tmp_path / 'absent.yaml'} does not exist"):
        dotted_value(tmp_path / "absent.yaml", "model")


def test_a_run_without_config_reads_as_none_and_an_empty_one_as_empty(tmp_path):
    assert read_config(tmp_path / "config.yaml") is None
    (tmp_path / "config.yaml").write_text("")
    assert read_config(tmp_path / "config.yaml") == {}
