"""The yesno recipe on a slurm cluster played by stand-ins for sbatch and srun (slurm_stand_ins/: local processes with
slurm's variables): a teacher and a cached KD student train on two "nodes" through espnet2.bin.launch (DDP with gloo
on CPU) and end with the same parameters on both ranks, and the teacher-output cache written by two jobs per set is
the one a single job writes."""
import json
import os
import re

import kaldiio
import numpy as np
import pytest
import torch
from conftest import REPO, run_recipe

from ctc_kd.cache.writer import write_cache

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("trained_yesno")]  # the worker that trained it
HERE = REPO / "test" / "egs2"


def on_slurm(env, tmp_path) -> dict:
    """The recipe's environment with the stand-ins on PATH, the sbatch calls recorded and each rank's parameters kept."""
    python_path = os.pathsep.join(p for p in (str(HERE / "rank_parameters"), os.environ.get("PYTHONPATH")) if p)
    (tmp_path / "ranks").mkdir()
    return {**env, "PATH": f"{HERE / 'slurm_stand_ins'}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": python_path,
            "SLURM_STAND_IN_CALLS": str(tmp_path / "sbatch_calls"), "RANK_PARAMETERS_DIR": str(tmp_path / "ranks")}


def sbatch_calls(tmp_path) -> list:
    """The options of every sbatch call so far (then forgotten)."""
    calls = [json.loads(line) for line in (tmp_path / "sbatch_calls").read_text().splitlines()]
    (tmp_path / "sbatch_calls").unlink()
    return calls


def same_ranks(ranks, training) -> None:
    """Both ranks' final parameters of a training, equal to the last bit."""
    rank0, rank1 = (torch.load(ranks / f"{training}.rank{rank}.pth") for rank in (0, 1))
    assert rank0.keys() == rank1.keys() and len(rank0) > 10
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), f"{training}: {name}"


def test_two_node_trainings_and_the_cache_in_jobs_on_slurm(trained_yesno_copy, tmp_path, monkeypatch):
    sandbox, env = trained_yesno_copy
    options = ("--cmd_backend", "slurm", "--num_nodes", "2", "--python", str(HERE / "rank_parameters" / "python"),
               "--teacher_name", "teacher_2nodes", "--teacher_mode", "cached", "--student_configs",
               "conf/train_student_sfmx_kd.yaml", "--train_args", "--max_epoch 1")
    environment = on_slurm(env, tmp_path)
    run_recipe(sandbox, "--stage", "7", "--stop_stage", "7", *options, env=environment)
    [call] = sbatch_calls(tmp_path)  # espnet2.bin.launch -> slurm.pl --num_nodes 2 LOG srun ... (one 2-node task)
    assert (call["--array"], call["--nodes"], call["--ntasks-per-node"]) == ("1-1", "2", "1")
    teacher = sandbox / "exp" / "teacher_2nodes"
    log = (teacher / "train.log").read_text()
    assert "# srun --export=ALL " in log and "--dist_launcher slurm" in log
    assert re.search(r"\[[^]]+:0/2\] .*1epoch results", log)  # rank 0 of a world of 2 reports the epoch
    same_ranks(tmp_path / "ranks", "teacher_2nodes")

    run_recipe(sandbox, "--stage", "9", "--stop_stage", "10", *options, env=environment)
    assert [call["--array"] for call in sbatch_calls(tmp_path)] == ["1-2", "1-2", "1-1"]  # cache of train, dev; student
    student_log = (sandbox / "exp" / "student_sfmx_kd" / "train.log").read_text()
    assert "teacher outputs from the cache exp/teacher_2nodes/cache/train" in student_log
    same_ranks(tmp_path / "ranks", "student_sfmx_kd")
    monkeypatch.chdir(sandbox)  # the teacher's config names its statistics from the recipe folder
    for data_set in ("train", "dev"):
        one_job = write_cache(teacher_config=str(teacher / "config.yaml"), data_dir=f"dump/raw/{data_set}",
                              teacher_model_file=str(teacher / "valid.cer_ctc.best.pth"), out_dir=str(tmp_path / data_set),
                              topk=8, hidden_layers=[])
        two_jobs = json.loads((teacher / "cache" / data_set / "meta.json").read_text())
        assert two_jobs["num_utterances"] == one_job.num_utterances and two_jobs["num_frames"] == one_job.num_frames
        local = kaldiio.load_scp(str(tmp_path / data_set / "teacher_posteriors.scp"))
        cluster = kaldiio.load_scp(str(teacher / "cache" / data_set / "teacher_posteriors.scp"))
        assert list(cluster) == list(local) and all(np.array_equal(cluster[k], local[k]) for k in local)
