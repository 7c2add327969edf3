"""--teacher_mode cached in a real recipe: stage 9 caches the teacher once, KD students train from the cache."""
import json

import pytest
from conftest import run_recipe

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("trained_yesno")]  # the worker that trained it

# hidden-state KD (stage 2 of FPKD, here from scratch) and bucketed posteriors (Guide-CTC) read the cache differently
STUDENTS = ("--student_configs", "conf/train_student_fpkd_stage2.yaml conf/train_student_guide_ctc.yaml",
            "--init_chain", "", "--train_args", "--max_epoch 3")


def test_yesno_students_train_from_the_cache(trained_yesno_copy):
    sandbox, env = trained_yesno_copy
    out = run_recipe(sandbox, "--stage", "9", "--teacher_mode", "cached", "--cache_topk", "2", *STUDENTS,
                     "--stop_stage", "14", env=env).stdout
    assert "caching the teacher's outputs on dump/raw/train" in out
    meta = json.loads((sandbox / "exp" / "teacher" / "cache" / "train" / "meta.json").read_text())
    train_utts = len((sandbox / "dump" / "raw" / "train" / "wav.scp").read_text().splitlines())
    assert meta["num_utterances"] == train_utts and meta["topk"] == 2 and meta["hidden_layers"] == [-1]
    for system in ("student_fpkd_stage2", "student_guide_ctc"):
        log = (sandbox / "exp" / system / "train.log").read_text()
        assert "teacher outputs from the cache exp/teacher/cache/train" in log, system
        assert "loaded teacher" in log  # checked against the student once at start-up, then dropped
    assert "loss_repr_kd=" in (sandbox / "exp" / "student_fpkd_stage2" / "train.log").read_text()
    results = (sandbox / "RESULTS.md").read_text()
    assert "FPKD stage 2" in results and "Guide-CTC" in results

    again = run_recipe(sandbox, "--teacher_mode", "cached", *STUDENTS, "--stage", "9", "--stop_stage", "10",
                       env=env).stdout
    assert "skip exp/teacher/cache/train: done" in again
