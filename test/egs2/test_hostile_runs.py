"""What a careless or unlucky user does to a finished yesno run (issue #15): each case is refused with the fix, or
redone, and never silently reused or overwritten."""
import json
import subprocess
import time

import pytest
import torch
import yaml
from conftest import make_sandbox, run_recipe

from ctc_kd.complete_files import zip_problem

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("trained_yesno")]  # one worker trains it
STUDENT = ("--student_configs", "conf/train_student_alone.yaml")


@pytest.fixture
def yesno(trained_yesno_copy):
    return trained_yesno_copy


@pytest.fixture
def trained(trained_yesno):
    return trained_yesno


def test_a_truncated_export_is_exported_again_before_packing(yesno):
    sandbox, env = yesno
    export = sandbox / "exp" / "student_alone" / "export" / "model.pth"
    run_recipe(sandbox, "--stage", "15", "--stop_stage", "15", "--systems", "student_alone", *STUDENT, env=env)
    whole_size = export.stat().st_size
    with open(export, "r+b") as f:
        f.truncate(28672)
    out = run_recipe(sandbox, "--stage", "15", "--stop_stage", "15", "--systems", "student_alone", *STUDENT,
                     env=env).stdout
    assert "exp/student_alone/export/model.pth is cut short or is not a zip/torch file (28672 bytes" in out
    assert "exporting exp/student_alone/valid.cer_ctc.best.pth again" in out
    assert export.stat().st_size == whole_size and zip_problem(export) is None
    packed = sandbox / "exp" / "student_alone" / "packed" / "student_alone.zip"
    assert zip_problem(packed) is None and "packed exp/student_alone/packed/student_alone.zip" in out
    assert not list(export.parent.glob("*.partial*")) and not list(packed.parent.glob("*.partial*"))


def test_a_changed_config_is_refused_and_retrain_keeps_the_old_run(yesno):
    sandbox, env = yesno
    run = sandbox / "exp" / "student_alone"
    finished_config = (run / "config.yaml").read_bytes()
    edited = yaml.safe_load((sandbox / "conf" / "train_student_alone.yaml").read_text())
    edited["optim_conf"]["lr"] = 0.01
    edited["max_epoch"] = 2
    (sandbox / "edited").mkdir()
    (sandbox / "edited" / "train_student_alone.yaml").write_text(yaml.safe_dump(edited))
    changed = ("--student_configs", "edited/train_student_alone.yaml")
    result = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", *changed, env=env, check=False)
    assert result.returncode != 0
    assert "config.max_epoch: 12 -> 2" in result.stdout and "config.optim_conf.lr: 0.005 -> 0.01" in result.stdout
    assert "under a new system name" in result.stdout and "--retrain true" in result.stdout
    assert (run / "config.yaml").read_bytes() == finished_config and (run / ".done").exists()

    # the same refusal for a run that was only started: ESPnet would resume it with the other config
    (run / ".done").unlink()
    result = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", *changed, env=env, check=False)
    assert result.returncode != 0 and "config.optim_conf.lr: 0.005 -> 0.01" in result.stdout
    assert (run / "config.yaml").read_bytes() == finished_config
    (run / ".done").touch()

    out = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", *changed, "--retrain", "true", env=env).stdout
    aside = [p for p in run.parent.iterdir() if p.name.startswith("student_alone.old.")]
    assert len(aside) == 1 and f"moved exp/student_alone aside to exp/{aside[0].name}" in out
    assert (aside[0] / "config.yaml").read_bytes() == finished_config and (aside[0] / ".done").exists()
    retrained = yaml.safe_load((run / "config.yaml").read_text())
    assert retrained["optim_conf"]["lr"] == 0.01 and retrained["max_epoch"] == 2
    assert json.loads((run / "made_by.json").read_text())["config.optim_conf.lr"] == "0.01"
    again = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", *changed, env=env).stdout
    assert "skip exp/student_alone: trained already with these settings" in again


def test_a_checkpoint_cut_short_is_refused_with_the_fix(yesno):
    sandbox, env = yesno
    run = sandbox / "exp" / "student_alone"
    (run / ".done").unlink()  # killed while ESPnet saved checkpoint.pth
    checkpoint = run / "checkpoint.pth"
    with open(checkpoint, "r+b") as f:
        f.truncate(checkpoint.stat().st_size // 2)
    for _ in range(2):  # every re-run says the same, and none pretends to resume
        result = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", *STUDENT, env=env, check=False)
        assert result.returncode != 0
        assert "exp/student_alone/checkpoint.pth is cut short" in result.stdout
        assert "its checkpoint.pth is damaged, so the training cannot resume" in result.stdout
        assert "--retrain true" in result.stdout and "re-running resumes it" not in result.stdout
    assert torch.load(run / "valid.cer_ctc.best.pth", map_location="cpu")  # nothing finished was touched


def test_a_teacher_from_another_recipe_keeps_its_statistics_and_replaces_no_teacher(trained, yesno, tmp_path):
    """--teacher_model in a fresh recipe: stage 6 reads the teacher's dumped config.yaml (which holds ESPnet's
    `required:` key), stage 7 brings the teacher's own statistics; later runs cannot swap teachers silently."""
    source, env = trained
    teacher = source / "exp" / "teacher" / "valid.cer_ctc.best.pth"
    fresh = make_sandbox("yesno", tmp_path / "fresh")
    run_recipe(fresh, "--stop_stage", "7", "--teacher_model", str(teacher), *STUDENT, env=env)
    config = yaml.safe_load((fresh / "exp" / "teacher" / "config.yaml").read_text())
    assert config["normalize_conf"]["stats_file"] == "exp/teacher/teacher_feats_stats.npz"
    assert ((fresh / "exp" / "teacher" / "teacher_feats_stats.npz").read_bytes()
            == (source / "exp" / "asr_stats_char" / "train" / "feats_stats.npz").read_bytes())
    result = run_recipe(fresh, "--stage", "7", "--stop_stage", "7", *STUDENT, env=env, check=False)
    assert result.returncode != 0
    assert f"exp/teacher is the teacher imported from {teacher.resolve()} (--teacher_model)" in result.stdout

    sandbox, _ = yesno  # a recipe whose own teacher is trained: an import never replaces it
    own_config = (sandbox / "exp" / "teacher" / "config.yaml").read_bytes()
    result = run_recipe(sandbox, "--stage", "7", "--stop_stage", "7", "--teacher_model",
                        str(fresh / "exp" / "teacher" / "external.pth"), *STUDENT, env=env, check=False)
    assert result.returncode != 0 and "exp/teacher holds a teacher trained in this recipe" in result.stdout
    assert (sandbox / "exp" / "teacher" / "config.yaml").read_bytes() == own_config
    assert not (sandbox / "exp" / "teacher" / "external.pth").exists()


def test_changed_data_options_are_refused_by_finished_stages(yesno):
    sandbox, env = yesno
    result = run_recipe(sandbox, "--stage", "3", "--stop_stage", "3", "--fs", "8000", env=env, check=False)
    assert result.returncode != 0
    assert "dump/raw/org/train was made with fs=16000 audio_format=flac, not fs=8000 audio_format=flac" in result.stdout
    result = run_recipe(sandbox, "--stage", "4", "--stop_stage", "4", "--min_sec", "1.0", env=env, check=False)
    assert result.returncode != 0
    assert "dump/raw/train was made with fs=16000 min_sec=0.5 max_sec=15, not fs=16000 min_sec=1.0" in result.stdout
    out = run_recipe(sandbox, "--stage", "3", "--stop_stage", "4", env=env).stdout
    assert "skip dump/raw/train: done (fs=16000 min_sec=0.5 max_sec=15)" in out


def test_multi_node_without_a_cluster_launcher_is_refused_up_front(sandbox_factory, corpora):
    sandbox = sandbox_factory("yesno")
    result = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", "--num_nodes", "2",
                        env={"YESNO": str(corpora / "yesno")}, check=False)
    assert result.returncode != 0 and "mpirun: command not found" not in result.stdout + result.stderr
    assert "--num_nodes 2: ESPnet's launcher starts the other nodes through slurm" in result.stdout
    assert "cmd_backend is 'local' (cuda_cmd 'launch_local.sh' in cmd.sh)" in result.stdout
    assert "run with --cmd_backend slurm" in result.stdout
    assert not (sandbox / "exp").exists()
    unknown = run_recipe(sandbox, "--stage", "10", "--cmd_backend", "sge", env={"YESNO": str(corpora / "yesno")},
                         check=False)
    assert unknown.returncode != 0 and "cmd.sh: unknown cmd_backend 'sge': use local" in unknown.stderr


def test_a_wrong_corpus_path_fails_at_once_naming_the_db_sh_variable(sandbox_factory, tmp_path):
    sandbox = sandbox_factory("yesno")
    nowhere = tmp_path / "no corpus here"
    result = run_recipe(sandbox, "--stop_stage", "1", env={"YESNO": str(nowhere)}, check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "resuming in" not in out  # no minute of retries offline
    assert f"no yesno corpus in '{nowhere}', and downloading it failed" in out
    assert "set YESNO in db.sh (or the environment) to the folder holding it" in out


def hold(sandbox, key, seconds):
    """Another run's lock on `key`: a flock process holding log/locks/<key>.lock, its pid written in it."""
    locks = sandbox / "log" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(["flock", str(locks / f"{key}.lock"), "sleep", str(seconds)])
    time.sleep(0.5)
    (locks / f"{key}.lock").write_text(f"{holder.pid}\n")
    return holder


def test_two_runs_on_the_same_outputs_are_locked_out_and_others_go_side_by_side(yesno):
    sandbox, env = yesno
    holder = hold(sandbox, "stage3", 600)
    try:
        result = run_recipe(sandbox, "--stage", "3", "--stop_stage", "3", env=env, check=False)
        assert result.returncode != 0
        assert f"another run of this recipe (pid {holder.pid}) is working on stage3" in result.stdout
    finally:
        holder.kill()
    holder = hold(sandbox, "exp_student_alone", 600)
    try:
        result = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", *STUDENT, env=env, check=False)
        assert result.returncode != 0 and "is working on exp/student_alone" in result.stdout
        # another --expdir (a sweep) is not blocked by it: this one stops for its own reason
        result = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", "--expdir", "exp/sweep",
                            "--student_configs", "conf/train_student_sfmx_kd.yaml", env=env, check=False)
        assert "the teacher is not trained" in result.stdout and "is working on" not in result.stdout
    finally:
        holder.kill()
    holder = hold(sandbox, "exp_teacher", 20)  # beyond the 10 s grace: the short stages 11-15 wait for it
    out = run_recipe(sandbox, "--stage", "12", "--stop_stage", "12", "--systems", "teacher", *STUDENT, env=env).stdout
    holder.wait()
    assert f"waiting for the run (pid {holder.pid}) that is working on exp/teacher" in out
    assert "scored exp/teacher/decode_greedy/test" in out


def test_a_finished_kd_student_is_refused_when_its_teacher_changed(yesno):
    sandbox, env = yesno
    quick = yaml.safe_load((sandbox / "conf" / "train_student_sfmx_kd.yaml").read_text())
    quick["max_epoch"] = 2
    (sandbox / "quick").mkdir()
    (sandbox / "quick" / "train_student_sfmx_kd.yaml").write_text(yaml.safe_dump(quick))
    kd = ("--stage", "10", "--stop_stage", "10", "--student_configs", "quick/train_student_sfmx_kd.yaml")
    run_recipe(sandbox, *kd, env=env)
    assert "skip exp/student_sfmx_kd: trained already with these settings" in run_recipe(sandbox, *kd, env=env).stdout
    selected = sandbox / "exp" / "teacher" / "valid.cer_ctc.best.pth"  # the teacher retrained: other weights
    torch.save({"other": torch.zeros(3)}, selected.with_name("other.pth"))
    selected.unlink()
    selected.symlink_to("other.pth")
    result = run_recipe(sandbox, *kd, env=env, check=False)
    assert result.returncode != 0 and "exp/student_sfmx_kd: it was made with other settings" in result.stdout
    assert "teacher.sha256: " in result.stdout and "--retrain true" in result.stdout
