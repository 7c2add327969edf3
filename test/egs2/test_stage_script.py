"""The stage script on the yesno recipe: resume after a kill, one seed alone, and bad input that stops the run."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest
import yaml
from conftest import run_recipe

from ctc_kd.complete_files import zip_problem

pytestmark = pytest.mark.slow


@pytest.fixture
def yesno(sandbox_factory, corpora):
    return sandbox_factory("yesno"), {"YESNO": str(corpora / "yesno")}


def test_help_lists_the_options(yesno):
    sandbox, env = yesno
    out = run_recipe(sandbox, "--help", env=env).stdout
    for option in ("--stage", "--stop_stage", "--ngpu", "--student_configs", "--teacher_model", "--seeds"):
        assert option in out
    bad = run_recipe(sandbox, "--no_such_option", "1", env=env, check=False)
    assert bad.returncode != 0 and "unknown option --no_such_option" in bad.stdout + bad.stderr


@pytest.mark.xdist_group("trained_yesno")  # on the worker that trained it
def test_interrupted_training_resumes_from_its_checkpoint(trained_yesno_copy):
    sandbox, env = trained_yesno_copy
    again_dir = ("--expdir", "exp/again", "--train_args", "--max_epoch 4")  # a second teacher beside the first
    kd_first = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", *again_dir, "--student_configs",
                          "conf/train_student_fpkd_stage1.yaml", env=env, check=False)
    assert kd_first.returncode != 0 and "the teacher is not trained: run stage 7 first" in kd_first.stdout
    run_recipe(sandbox, "--stage", "6", "--stop_stage", "6", *again_dir, env=env)
    checkpoint = sandbox / "exp" / "again" / "teacher" / "checkpoint.pth"
    process = subprocess.Popen(["./run.sh", "--stage", "7", "--stop_stage", "7", *again_dir], cwd=sandbox,
                               env=dict(os.environ, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.time() + 300
    # a whole checkpoint: killed while ESPnet writes it, the run would rightly refuse to resume from it
    while zip_problem(checkpoint) and time.time() < deadline and process.poll() is None:
        time.sleep(0.5)
    assert checkpoint.exists(), "no checkpoint after the first epoch"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (sandbox / "exp" / "again" / "teacher" / ".done").exists()

    out = run_recipe(sandbox, "--stage", "7", "--stop_stage", "7", *again_dir, env=env).stdout
    assert "resuming exp/again/teacher from its checkpoint.pth" in out
    assert re.search(r"trained exp/again/teacher in \d+ s \(this sitting\)", out)
    assert not (sandbox / "exp" / "again" / "teacher" / "train_seconds").exists(), "one sitting's time, not the run's"
    log = (sandbox / "exp" / "again" / "teacher" / "train.log").read_text()
    assert "The training was resumed" in log
    epochs = [int(n) for n in re.findall(r"INFO: (\d+)epoch results", log)]
    assert epochs == list(range(1, 5)), f"each epoch once, none repeated: {epochs}"
    again = run_recipe(sandbox, "--stage", "7", "--stop_stage", "7", *again_dir, env=env).stdout
    assert "skip exp/again/teacher: trained already" in again


@pytest.mark.xdist_group("trained_yesno")  # on the worker that trained it
def test_one_seed_of_a_system_trains_on_its_own(trained_yesno_copy):
    """--systems <name>_seed<k> picks one seed, so that two cores can train the seeds of one system side by side;
    and a finished run whose model is not here (a clone keeps only results) is skipped by the stages that need it."""
    sandbox, env = trained_yesno_copy
    out = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", "--student_configs",
                     "conf/train_student_alone.yaml", "--seeds", "1 2", "--systems", "student_alone_seed2",
                     env=env).stdout
    assert "skip student_alone_seed1: not in --systems" in out
    exp = sandbox / "exp"
    assert (exp / "student_alone_seed2" / ".done").exists() and not (exp / "student_alone_seed1").exists()
    assert int((exp / "student_alone_seed2" / "train_seconds").read_text()) >= 0  # trained in one sitting
    assert yaml.safe_load((exp / "student_alone_seed2" / "config.yaml").read_text())["seed"] == 2

    # a clone of the repository keeps a run's results but not its model: decoding keeps them and says why
    for model in (exp / "student_alone_seed2").glob("*.pth"):
        model.unlink()
    out = run_recipe(sandbox, "--stage", "11", "--stop_stage", "11", "--student_configs",
                     "conf/train_student_alone.yaml", "--seeds", "1 2", "--systems", "student_alone_seed2",
                     env=env).stdout
    assert "skip student_alone_seed2: only its results are here, not its model" in out


def test_missing_corpus_names_the_path_and_the_fix(yesno, tmp_path):
    sandbox, _ = yesno
    result = run_recipe(sandbox, "--stop_stage", "1", "--local_data_opts", "--download false",
                        env={"YESNO": str(tmp_path / "nowhere")}, check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert str(tmp_path / "nowhere") in out and "db.sh" in out


def test_empty_transcript_stops_the_run_and_keeps_the_data(yesno):
    sandbox, env = yesno
    run_recipe(sandbox, "--stop_stage", "1", env=env)
    text = sandbox / "data" / "train" / "text"
    lines = text.read_text().splitlines()
    utt = lines[3].split()[0]
    lines[3] = utt
    text.write_text("\n".join(lines) + "\n")
    result = run_recipe(sandbox, "--stage", "1", "--stop_stage", "3", env=env, check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "data/train/text" in out and utt in out
    assert (sandbox / "data" / "dev" / "text").exists() and (sandbox / "data" / "train" / "wav.scp").exists()
    assert not (sandbox / "dump" / "raw" / "org" / "train" / ".done").exists()


def test_unreadable_audio_names_the_file(yesno, corpora, tmp_path):
    sandbox, _ = yesno
    corpus = tmp_path / "corpus"
    shutil.copytree(corpora / "yesno" / "waves_yesno", corpus / "waves_yesno")
    env = {"YESNO": str(corpus)}
    run_recipe(sandbox, "--stop_stage", "1", env=env)
    broken = sorted((corpus / "waves_yesno").glob("*.wav"))[-1]  # a test-set recording
    broken.write_bytes(b"RIFF\x00\x00garbage" * 10)
    result = run_recipe(sandbox, "--stage", "3", "--stop_stage", "3", env=env, check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert broken.name in out
    assert (sandbox / "data" / "test" / "wav.scp").exists()  # stage 1's work is kept
    assert (sandbox / "dump" / "raw" / "org" / "train" / ".done").exists()  # and so is the set formatted before
    # stage 1 itself refuses such a corpus, naming the file
    result = run_recipe(sandbox, "--stop_stage", "1", "--local_data_opts", "--force true", env=env, check=False)
    assert result.returncode != 0 and broken.name in result.stdout + result.stderr


@pytest.mark.xdist_group("trained_yesno")  # on the worker that trained it
def test_skd_and_the_layer_pruned_baseline_start_from_the_teacher(trained_yesno_copy):
    """--skd_init teacher starts an SKD system of the teacher's architecture from the teacher's best checkpoint (its
    CTC head copied as sub-head); the layer-pruned system starts from the teacher's first block; a finished run keeps
    its start, and a config of another architecture or a missing teacher stops the run with the fix."""
    sandbox, env = trained_yesno_copy
    skd, pruned = "conf/train_student_skd_teacher_size.yaml", "conf/train_student_layer_pruned.yaml"
    both = ["--stage", "10", "--stop_stage", "10", "--student_configs", f"{skd} {pruned}", "--skd_init", "teacher",
            "--train_args", "--max_epoch 2"]
    no_teacher = run_recipe(sandbox, *both, "--expdir", "exp/untaught", env=env, check=False)
    assert no_teacher.returncode != 0 and "the teacher is not trained: run stage 7 first" in no_teacher.stdout

    out = run_recipe(sandbox, *both, env=env).stdout
    exp = sandbox / "exp"
    best = "exp/teacher/valid.cer_ctc.best.pth"
    assert yaml.safe_load((exp / "student_skd_teacher_size" / "config.yaml").read_text())["init_param"] == [
        f"{best}:::kd_projections.,repr_projections.", f"{best}:ctc:sub_ctc"]
    assert yaml.safe_load((exp / "student_layer_pruned" / "config.yaml").read_text())["init_param"] == [
        "exp/teacher/valid.cer_ctc.best.first_1_blocks.pth"]
    assert (exp / "teacher" / "valid.cer_ctc.best.first_1_blocks.pth").is_file()
    assert "student_layer_pruned starts from exp/teacher: exp/teacher/valid.cer_ctc.best.first_1_blocks.pth" in out

    changed = run_recipe(sandbox, *both[:-4], "--skd_init", "scratch", env=env, check=False)
    assert changed.returncode != 0
    assert ("exp/student_skd_teacher_size was trained from teacher, but this run would start it from scratch "
            "(--skd_init scratch, --init_chain): delete exp/student_skd_teacher_size") in changed.stdout

    table = run_recipe(sandbox, "--stage", "14", "--stop_stage", "14", "--student_configs", f"{skd} {pruned}",
                       env=env)
    assert table.returncode == 0
    results = (sandbox / "RESULTS.md").read_text()
    assert "SKD (block 1 of 2, from the teacher)" in results
    assert "the teacher, layer-pruned to its first block (new CTC head, CTC fine-tuning)" in results

    other = run_recipe(sandbox, "--stage", "10", "--stop_stage", "10", "--student_configs",
                       "conf/train_student_skd.yaml", "--skd_init", "teacher", env=env, check=False)
    assert other.returncode != 0
    assert ("conf/train_student_skd.yaml cannot start from the weights of exp/teacher: its architecture differs from "
            "exp/teacher/config.yaml in encoder_conf") in other.stdout


@pytest.mark.xdist_group("trained_yesno")  # on the worker that trained it
def test_a_run_started_by_its_own_configs_init_param_is_resumed_and_kept(trained_yesno_copy):
    """A config that names its own start (init_param, as speechocean762's students do) is no chain's child: running
    it again keeps the finished run instead of refusing it as started from elsewhere."""
    sandbox, env = trained_yesno_copy
    config = yaml.safe_load((sandbox / "conf" / "train_teacher.yaml").read_text())
    config["init_param"] = ["exp/teacher/valid.cer_ctc.best.pth:encoder:encoder"]
    (sandbox / "own").mkdir()  # not conf/: the sandbox's conf links to the repository's
    (sandbox / "own" / "train_student_own_start.yaml").write_text(yaml.safe_dump(config))
    stage_10 = ["--stage", "10", "--stop_stage", "10", "--student_configs", "own/train_student_own_start.yaml",
                "--train_args", "--max_epoch 1"]
    run_recipe(sandbox, *stage_10, env=env)
    recorded = yaml.safe_load((sandbox / "exp" / "student_own_start" / "config.yaml").read_text())["init_param"]
    assert recorded == ["exp/teacher/valid.cer_ctc.best.pth:encoder:encoder"]
    again = run_recipe(sandbox, *stage_10, env=env, check=False)
    assert again.returncode == 0, again.stdout
    assert "skip exp/student_own_start: trained already with these settings" in again.stdout


@pytest.mark.xdist_group("trained_yesno")  # on the worker that trained it
def test_a_decoding_is_kept_only_while_its_weights_data_and_search_are_the_same(trained_yesno_copy):
    """Stage 8 again keeps the teacher's decodings (in one job or in shards); another search decodes again, though
    its folder (decode_<decoder>) is the same, and so does other data."""
    sandbox, env = trained_yesno_copy
    decoded = sandbox / "exp" / "teacher" / "decode_greedy" / "test"

    def stage_8(*options):
        return run_recipe(sandbox, "--stage", "8", "--stop_stage", "8", *options, env=env).stdout

    assert "kept exp/teacher/decode_greedy/test: decoded already" in stage_8()
    text = (decoded / "text").read_bytes()
    out = stage_8("--inference_nj", "2")  # shards: decoded the first time, kept the second
    assert "decoded exp/teacher/decode_greedy/test" in out and (decoded / "text").read_bytes() == text
    stage_8("--inference_nj", "2")
    assert "skip" in (sandbox / "exp" / "teacher" / "decode_greedy" / "log" / "decode.1.log").read_text()

    beam = ("--decoder", "beam", "--decode_args")
    first = run_recipe(sandbox, "--stage", "8", "--stop_stage", "8", *beam, "--beam_size 2", env=env)
    assert "decoded exp/teacher/decode_beam/test" in first.stdout
    assert "No such file" not in first.stdout + first.stderr  # no record yet is no error
    assert "kept exp/teacher/decode_beam/test" in stage_8(*beam, "--beam_size 2")
    assert "decoded exp/teacher/decode_beam/test" in stage_8(*beam, "--beam_size 3")
    assert json.loads((sandbox / "exp" / "teacher" / "decode_beam" / "test" / "decode_info.json").read_text())[
        "beam_size"] == 3

    test_set = sandbox / "dump" / "raw" / "test"
    for name in ("wav.scp", "text", "utt2spk"):  # one recording fewer
        (test_set / name).write_text("".join((test_set / name).read_text().splitlines(True)[:-1]))
    assert "decoded exp/teacher/decode_greedy/test" in stage_8()
    assert len((decoded / "text").read_text().splitlines()) == len((test_set / "wav.scp").read_text().splitlines())
