"""--teacher_mode cached in a real recipe: stage 9 caches the teacher once, KD students train from the cache."""
import json

import pytest
from conftest import run_recipe

pytestmark = pytest.mark.slow

STUDENTS = "conf/train_student_fpkd_stage1.yaml conf/train_student_fpkd_stage2.yaml conf/train_student_guide_ctc.yaml"


def test_yesno_students_train_from_the_cache(sandbox_factory, corpora):
    sandbox = sandbox_factory("yesno")
    env = {"YESNO": str(corpora / "yesno")}
    out = run_recipe(sandbox, "--teacher_mode", "cached", "--cache_topk", "2", "--student_configs", STUDENTS,
                     "--stop_stage", "14", env=env).stdout
    assert "caching the teacher's outputs on dump/raw/train" in out
    meta = json.loads((sandbox / "exp" / "teacher" / "cache" / "train" / "meta.json").read_text())
    train_utts = len((sandbox / "dump" / "raw" / "train" / "wav.scp").read_text().splitlines())
    assert meta["num_utterances"] == train_utts and meta["topk"] == 2 and meta["hidden_layers"] == [-1]
    for system in ("student_fpkd_stage1", "student_fpkd_stage2", "student_guide_ctc"):
        log = (sandbox / "exp" / system / "train.log").read_text()
        assert "teacher outputs from the cache exp/teacher/cache/train" in log, system
        assert "loaded teacher" in log  # checked against the student once at start-up, then dropped
    assert "loss_repr_kd=" in (sandbox / "exp" / "student_fpkd_stage2" / "train.log").read_text()
    assert "| student_fpkd_stage2 |" in (sandbox / "RESULTS.md").read_text() or "FPKD stage 2" in (
        sandbox / "RESULTS.md").read_text()

    again = run_recipe(sandbox, "--teacher_mode", "cached", "--student_configs", STUDENTS, "--stage", "9",
                       "--stop_stage", "10", env=env).stdout
    assert "skip exp/teacher/cache/train: done" in again
