"""The yesno recipe on a slurm cluster played by stand-ins for sbatch and srun (slurm_stand_ins/, local processes with
slurm's variables): its sharded stages give the local run's outputs, and a teacher and a cached KD student train on
two "nodes" through espnet2.bin.launch (DDP with gloo on CPU), ending with the same parameters on both ranks."""
import json
import os
import shutil

import kaldiio
import numpy as np
import pytest
import torch
from conftest import REPO, run_recipe

from ctc_kd.cache.writer import write_cache

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("trained_yesno")]  # the worker that trained it
HERE = REPO / "test" / "egs2"
ONE_EPOCH = ("--train_args", "--max_epoch 1")


def on_slurm(env, tmp_path) -> dict:
    """The recipe's environment with the stand-ins on PATH, the sbatch calls recorded and each rank's parameters kept."""
    python_path = os.pathsep.join(p for p in (str(HERE / "rank_parameters"), os.environ.get("PYTHONPATH")) if p)
    (tmp_path / "ranks").mkdir()
    return {**env, "PATH": f"{HERE / 'slurm_stand_ins'}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": python_path,
            "SLURM_STAND_IN_CALLS": str(tmp_path / "sbatch_calls"), "RANK_PARAMETERS_DIR": str(tmp_path / "ranks")}


def same_ranks(ranks) -> None:
    """Both ranks' final parameters, equal to the last bit (then removed, for the next training)."""
    rank0, rank1 = (torch.load(ranks / f"rank{rank}.pth") for rank in (0, 1))
    assert rank0.keys() == rank1.keys() and len(rank0) > 10
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    for path in ranks.glob("rank*.pth"):
        path.unlink()


def sbatch_calls(tmp_path) -> list:
    """The options of every sbatch call so far (then forgotten)."""
    calls = [json.loads(line) for line in (tmp_path / "sbatch_calls").read_text().splitlines()]
    (tmp_path / "sbatch_calls").unlink()
    return calls


def test_a_two_node_teacher_on_slurm(trained_yesno_copy, tmp_path):
    sandbox, env = trained_yesno_copy
    shutil.copytree(sandbox / "exp" / "asr_stats_char", sandbox / "exp" / "slurm" / "asr_stats_char")
    run_recipe(sandbox, "--stage", "7", "--stop_stage", "7", "--expdir", "exp/slurm", "--num_nodes", "2",
               "--cmd_backend", "slurm", "--python", str(HERE / "rank_parameters" / "python"), *ONE_EPOCH,
               env=on_slurm(env, tmp_path))
    [call] = sbatch_calls(tmp_path)  # espnet2.bin.launch -> slurm.pl --num_nodes 2 ... srun ...
    assert (call["--array"], call["--nodes"], call["--ntasks-per-node"]) == ("1-1", "2", "1")
    log = (sandbox / "exp" / "slurm" / "teacher" / "train.log").read_text()
    assert "srun --export=ALL" in log and "--dist_launcher slurm" in log and "1epoch results" in log
    same_ranks(tmp_path / "ranks")


def test_sharded_decoding_and_cache_and_a_two_node_cached_student_on_slurm(trained_yesno_copy, tmp_path,
                                                                         monkeypatch):
    """Decoding in two jobs and the cache in two jobs per set equal the local one-job outputs; the KD student reads
    the cache on two nodes."""
    sandbox, env = trained_yesno_copy
    teacher = sandbox / "exp" / "teacher"
    shutil.move(teacher / "decode_greedy", tmp_path / "decode_local")
    slurm = ("--cmd_backend", "slurm", "--python", str(HERE / "rank_parameters" / "python"))
    run_recipe(sandbox, "--stage", "8", "--stop_stage", "10", "--inference_nj", "2", "--teacher_mode", "cached",
               "--num_nodes", "2", "--student_configs", "conf/train_student_sfmx_kd.yaml", *slurm, *ONE_EPOCH,
               env=on_slurm(env, tmp_path))
    for test_set in ("dev", "test"):
        for name in ("text", "token", "token_int"):
            assert (teacher / "decode_greedy" / test_set / name).read_text() == \
                (tmp_path / "decode_local" / test_set / name).read_text()
        assert json.loads((teacher / "decode_greedy" / test_set / "decode_info.json").read_text())["num_shards"] == 2
    checkpoint = teacher / "valid.cer_ctc.best.pth"
    monkeypatch.chdir(sandbox)  # the teacher's config names its statistics from the recipe folder
    for data_set in ("train", "dev"):
        one_job = write_cache(teacher_config=str(teacher / "config.yaml"), teacher_model_file=str(checkpoint),
                              data_dir=str(sandbox / "dump" / "raw" / data_set), out_dir=str(tmp_path / data_set),
                              topk=8, hidden_layers=[])
        jobs = teacher / "cache" / data_set
        assert json.loads((jobs / "meta.json").read_text())["num_utterances"] == one_job.num_utterances
        local = kaldiio.load_scp(str(tmp_path / data_set / "teacher_posteriors.scp"))
        cluster = kaldiio.load_scp(str(jobs / "teacher_posteriors.scp"))
        assert list(cluster) == list(local) and all(np.array_equal(cluster[k], local[k]) for k in local)
    calls = sbatch_calls(tmp_path)
    assert sum(call["--array"] == "1-2" for call in calls) == 3  # decoding, and the cache of train and dev
    assert "teacher outputs from the cache exp/teacher/cache/train" in (sandbox / "exp" / "student_sfmx_kd" /
                                                                         "train.log").read_text()
    same_ranks(tmp_path / "ranks")
