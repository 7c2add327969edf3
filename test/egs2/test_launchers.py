"""The job launchers of cmd.sh (utils/launch_local.sh, utils/launch_slurm.sh through the sbatch/srun stand-ins):
Kaldi's calling convention, JOB in log names and arguments, one log per job, and failures named by their logs."""
import json
import subprocess

import pytest
from conftest import REPO

UTILS = REPO / "egs2" / "TEMPLATE" / "asr1" / "utils"
STAND_INS = REPO / "test" / "egs2" / "slurm_stand_ins"
LAUNCHERS = {"local": UTILS / "launch_local.sh", "slurm": UTILS / "launch_slurm.sh"}


def launch(backend, *args, cwd, env=None):
    environment = {"PATH": f"{STAND_INS}:/usr/bin:/bin", **(env or {})}
    return subprocess.run([str(LAUNCHERS[backend]), *map(str, args)], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("backend", ["local", "slurm"])
def test_each_job_runs_with_its_number_in_its_log_name_and_arguments(backend, tmp_path):
    result = launch(backend, "JOB=1:3", "log/echo.JOB.log", "bash", "-c", 'echo "job $0 of 3" > out.$0', "JOB",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for job in (1, 2, 3):
        assert (tmp_path / f"out.{job}").read_text() == f"job {job} of 3\n"
        lines = (tmp_path / "log" / f"echo.{job}.log").read_text().splitlines()
        assert lines[0] == f'# bash -c echo "job $0 of 3" > out.$0 {job}'
        assert lines[1].startswith("# started at ") and lines[-1].endswith("with exit code 0")
    again = launch(backend, "JOB=2:2", "log/echo.JOB.log", "true", cwd=tmp_path)  # a re-run appends to the log
    assert again.returncode == 0 and (tmp_path / "log" / "echo.2.log").read_text().count("# started at") == 2


@pytest.mark.parametrize("backend", ["local", "slurm"])
def test_a_failed_job_is_named_by_its_log_after_the_others_ran(backend, tmp_path):
    result = launch(backend, "JOB=1:3", "log/x.JOB.log", "bash", "-c", 'touch ran.$0; [ $0 != 2 ] || exit 3', "JOB",
                    cwd=tmp_path)
    assert result.returncode == 1
    assert "job 2 failed" in result.stderr and "see log/x.2.log" in result.stderr
    assert "1 of 3 jobs failed" in result.stderr
    assert sorted(p.name for p in tmp_path.glob("ran.*")) == ["ran.1", "ran.2", "ran.3"]
    assert (tmp_path / "log" / "x.2.log").read_text().splitlines()[-1].endswith("with exit code 3")


@pytest.mark.parametrize("backend", ["local", "slurm"])
def test_bad_calls_are_refused_with_the_usage(backend, tmp_path):
    result = launch(backend, "--queue", "gpu", "log", "true", cwd=tmp_path)
    assert result.returncode == 2 and "unknown option --queue" in result.stderr and "usage:" in result.stderr
    result = launch(backend, "JOB=1:2", "log/one.log", "true", cwd=tmp_path)
    assert result.returncode == 2 and "the log name log/one.log must contain JOB" in result.stderr
    result = launch(backend, "--gpu", "two", "log", "true", cwd=tmp_path)
    assert result.returncode == 2 and "--gpu must be a whole number, not 'two'" in result.stderr


def test_slurm_gets_the_resources_and_a_task_that_never_ended_is_named(tmp_path):
    calls = tmp_path / "calls"
    result = launch("slurm", "--gpu", "1", "--mem", "4G", "--time", "1:00:00", "--num-threads", "2", "--max_jobs_run",
                    "1", "--name", "cache", "JOB=1:2", "exp/log/cache.JOB.log", "bash", "-c",
                    '[ $0 = 1 ] || kill -9 $PPID', "JOB", cwd=tmp_path, env={"SLURM_STAND_IN_CALLS": str(calls)})
    assert json.loads(calls.read_text()) == {
        "--wait": True, "--parsable": True, "--job-name": "cache", "--output": "exp/log/cache.%a.log",
        "--open-mode": "append", "--array": "1-2%1", "--cpus-per-task": "2", "--gres": "gpu:1", "--mem": "4G",
        "--time": "1:00:00"}
    assert result.returncode == 1 and "1 of 2 jobs failed" in result.stderr
    assert "job 2 did not finish (cancelled, out of time or memory" in result.stderr
    assert "see exp/log/cache.2.log" in result.stderr and "job 1" not in result.stderr


def test_slurm_without_sbatch_says_where_to_run(tmp_path):
    result = subprocess.run([str(LAUNCHERS["slurm"]), "log", "true"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "sbatch is not on PATH" in result.stderr and "cmd_backend=local" in result.stderr


def test_a_multi_node_job_runs_its_srun_command_once_per_node(tmp_path):
    """espnet2.bin.launch's multi-node call: `slurm.pl ... --num_nodes 2 LOG srun --export=ALL COMMAND`."""
    assert (UTILS / "slurm.pl").resolve() == LAUNCHERS["slurm"]
    result = subprocess.run([str(UTILS / "slurm.pl"), "--gpu", "0", "--num_threads", "1", "--num_nodes", "2",
                             "train.log", "srun", "--export=ALL", "bash", "-c",
                             "echo rank $SLURM_PROCID of $SLURM_NTASKS on node $SLURM_NODEID of $SLURM_STEP_NUM_NODES"],
                            cwd=tmp_path, env={"PATH": f"{STAND_INS}:/usr/bin:/bin"}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "train.log").read_text()
    assert "rank 0 of 2 on node 0 of 2" in log and "rank 1 of 2 on node 1 of 2" in log


def test_local_jobs_run_at_most_max_jobs_run_at_once(tmp_path):
    alone = 'mkdir running || exit 9; sleep 0.3; rmdir running'  # fails when another job runs at the same time
    assert launch("local", "--max_jobs_run", "1", "JOB=1:3", "log/x.JOB.log", "bash", "-c", alone,
                  cwd=tmp_path).returncode == 0
    assert launch("local", "JOB=1:3", "log/y.JOB.log", "bash", "-c", alone, cwd=tmp_path).returncode == 1
