"""The corpus configs are the table's: regenerating them changes no byte, and one table edit reaches every corpus."""
import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "egs2" / "TEMPLATE" / "asr1"
sys.path.insert(0, str(TEMPLATE))
import config_table  # noqa: E402
import make_configs  # noqa: E402


def test_committed_configs_are_the_tables():
    run = subprocess.run([sys.executable, str(TEMPLATE / "make_configs.py"), "--check"], capture_output=True,
                         text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""


def test_every_corpus_has_every_system():
    paths = set(make_configs.configs())
    assert len(paths) == 3 * 20
    for corpus in ("aishell", "tedlium2", "librispeech"):
        conf = REPO / "egs2" / corpus / "asr1" / "conf"
        assert {p for p in paths if p.parent == conf} == {
            conf / p.name for p in conf.glob("train_*.yaml")}, "a committed config is missing from the table"


def test_check_lists_a_file_that_differs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(make_configs, "EGS2", tmp_path / "egs2")
    for path, text in make_configs.configs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    edited = tmp_path / "egs2" / "tedlium2" / "asr1" / "conf" / "train_student_skd.yaml"
    edited.write_text(edited.read_text().replace("max_epoch: 50", "max_epoch: 51"))
    assert make_configs.main(["--check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "egs2/tedlium2/asr1/conf/train_student_skd.yaml differs from egs2/TEMPLATE/asr1/config_table.py: run python "
        "egs2/TEMPLATE/asr1/make_configs.py (and edit the table, not the file)"]
    assert make_configs.main([]) == 0
    assert "max_epoch: 50\n" in edited.read_text()
    assert make_configs.main(["--check"]) == 0
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("max_epoch, split", [
    (60, dict(stage1=36, stage2=12, stage3=12, stage2_start=37, stage3_start=49, skd_ramp_start=12, skd_ramp_end=48)),
    (50, dict(stage1=30, stage2=10, stage3=10, stage2_start=31, stage3_start=41, skd_ramp_start=10, skd_ramp_end=40)),
    (70, dict(stage1=42, stage2=14, stage3=14, stage2_start=43, stage3_start=57, skd_ramp_start=14, skd_ramp_end=56)),
])
def test_epoch_split_is_sixty_twenty_twenty(max_epoch, split):
    assert make_configs.epoch_split(max_epoch) == {"epochs": max_epoch, **split}


def test_one_table_edit_reaches_every_corpus(monkeypatch):
    systems = copy.deepcopy(config_table.SYSTEMS)
    systems["student_sfmx_kd"]["kd_terms"]["sfmx_kd"]["temperature"] = 2.0
    monkeypatch.setattr(make_configs, "SYSTEMS", systems)
    changed = {path: yaml.safe_load(text) for path, text in make_configs.configs().items()
               if path.read_text() != text}
    assert sorted(p.relative_to(REPO / "egs2").parts[0] for p in changed) == ["aishell", "librispeech", "tedlium2"]
    for loaded in changed.values():
        assert loaded["model_conf"]["kd_terms"] == {"sfmx_kd": {"weight": 1.0, "temperature": 2.0}}


def test_fpkd_stages_add_the_terms_in_order():
    loaded = {name: yaml.safe_load(make_configs.render(config_table.CORPORA["aishell"], system))
              for name, system in config_table.SYSTEMS.items()}
    terms = [list(loaded[f"student_fpkd_stage{s}"]["model_conf"]["kd_terms"]) for s in (1, 2, 3)]
    assert terms == [["binary_kd"], ["binary_kd", "repr_kd"], ["binary_kd", "repr_kd", "fkl"]]
    assert [loaded[f"student_fpkd_stage{s}"]["max_epoch"] for s in (1, 2, 3)] == [36, 12, 12]
    assert loaded["student_fpkd"]["max_epoch"] == 60
    assert loaded["student_skd"]["model_conf"]["skd_layer"] == 6
    assert loaded["student_skd"]["encoder_conf"]["num_blocks"] == 12
    assert loaded["student_hybrid_alone"]["best_model_criterion"] == [["valid", "acc", "max"]]
    assert loaded["teacher"]["specaug_conf"]["apply_time_warp"] is True
    assert loaded["student_alone"]["specaug_conf"]["apply_time_warp"] is False
    assert loaded["student_alone"]["optim_conf"]["weight_decay"] == pytest.approx(1e-6)
