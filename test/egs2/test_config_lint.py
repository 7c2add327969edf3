"""Every training config in the recipes is built by the trainer (dry run), so a broken YAML fails here, not on a GPU."""
from pathlib import Path

import numpy as np
import pytest
import yaml

from ctc_kd.tasks import ASRKDTask

REPO = Path(__file__).resolve().parents[2]
CONF_DIRS = sorted({p.parent.resolve() for p in [*REPO.glob("egs2/*/asr1/conf/**/*.yaml"), *REPO.glob("conf/**/*.yaml")]})
TRAIN_CONFIGS = [p for d in CONF_DIRS for p in sorted(d.glob("train_*.yaml"))]
DECODE_CONFIGS = sorted({p.resolve() for d in CONF_DIRS for p in d.glob("decode_*.yaml")})
TOKENS = ["<blank>", "<unk>", "<space>", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ'", "<sos/eos>"]


def config_id(path: Path) -> str:
    return str(path.relative_to(REPO))


def dry_run(config: Path, out: Path, extra=()):
    """Parse like asr_kd_train, build model, optimizers and schedulers, write config.yaml: ESPnet's --dry_run."""
    loaded = yaml.safe_load(config.read_text())
    n_mels = (loaded.get("frontend_conf") or {}).get("n_mels", 80)
    stats = out / "feats_stats.npz"
    out.mkdir(parents=True, exist_ok=True)
    np.savez(stats, count=np.array(10), sum=np.zeros(n_mels), sum_square=np.full(n_mels, 10.0))
    (out / "tokens.txt").write_text("\n".join(TOKENS) + "\n")
    ASRKDTask.main(cmd=["--config", str(config), "--output_dir", str(out), "--dry_run", "true", "--ngpu", "0",
                        "--token_type", "char", "--token_list", str(out / "tokens.txt"),
                        "--normalize_conf", f"stats_file={stats}", *extra])
    return out / "config.yaml"


TEACHERS = ("train_teacher.yaml", "train_teacher_hybrid.yaml")


def teacher_of(student: Path) -> Path:
    """The teacher a KD student config is run with: train_student_hybrid_* learn from train_teacher_hybrid.yaml; a
    config under conf/tuning/ from its recipe's conf/."""
    conf = student.parent.parent if student.parent.name == "tuning" else student.parent
    return conf / TEACHERS["_hybrid_" in student.name]


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    """A randomly initialised teacher per teacher config of a conf folder, saved as a trained one would be."""
    import torch

    made = {}
    for teacher_config in (d / name for d in CONF_DIRS for name in TEACHERS):
        if not teacher_config.exists():
            continue
        out = tmp_path_factory.mktemp("teacher")
        written = dry_run(teacher_config, out)
        model, _ = ASRKDTask.build_model_from_file(written, None, "cpu")
        torch.save(model.state_dict(), out / "model.pth")
        made[teacher_config] = (written, out / "model.pth")
    return made


def test_there_are_configs_to_check():
    assert len(TRAIN_CONFIGS) >= 10, TRAIN_CONFIGS


@pytest.mark.parametrize("config", TRAIN_CONFIGS, ids=config_id)
def test_training_config_builds(config, teachers, tmp_path):
    loaded = yaml.safe_load(config.read_text())
    assert isinstance(loaded, dict) and loaded.get("max_epoch"), f"{config}: no max_epoch"
    header = config.read_text().splitlines()[0]
    assert header.startswith("#"), f"{config} must start with a comment saying what it is"
    extra = []
    if loaded.get("model") == "kd_student":
        teacher = teacher_of(config)
        assert teacher in teachers, f"{config} is a KD student but {config.parent} has no {teacher.name}"
        teacher_config, teacher_model = teachers[teacher]
        extra = ["--model_conf", f"teacher_config={teacher_config}", "--model_conf", f"teacher_model_file={teacher_model}"]
    written = yaml.safe_load(dry_run(config, tmp_path, extra).read_text())
    assert written["model"] == loaded.get("model", "espnet")
    criteria = written["best_model_criterion"]
    metric = "cer_ctc_sub" if written["model"] == "self_kd" else "cer_ctc"
    if written["model_conf"].get("ctc_weight", 0.5) == 1.0:
        assert criteria[0][:2] == ["valid", metric], f"{config}: a CTC-only model is selected on valid.{metric}"


@pytest.mark.parametrize("config", DECODE_CONFIGS, ids=config_id)
def test_decode_config_holds_decode_options(config):
    from ctc_kd.bin.decode import read_decode_config

    assert config.read_text().startswith("#"), f"{config} must start with a comment saying what it is"
    assert read_decode_config(config)["decoder"] in ("greedy", "beam"), f"{config} must name its decoder"


@pytest.mark.parametrize("config", TRAIN_CONFIGS, ids=config_id)
def test_kd_terms_use_the_registry_keys(config):
    from ctc_kd.models import kd_terms

    loaded = yaml.safe_load(config.read_text())
    model_conf = loaded.get("model_conf") or {}
    flat = sorted(set(model_conf) & {key for keys in kd_terms.FLAT_KEYS.values() for key in keys})
    assert not flat, f"{config}: round 1's flat keys {flat}: write them under model_conf.kd_terms"
    kd_terms.parse_kd_terms(model_conf.get("kd_terms"), model=loaded.get("model", "espnet"))


# round 1's Cathy student alone, trained again only for its weights (speechocean762's students start from its
# encoder): it is in no comparison, and round 1 warped time
NOT_IN_A_COMPARISON = {REPO / "egs2" / "cathy" / "asr1" / "conf" / "tuning" / "train_student_alone_4x64_char.yaml"}
STUDENTS_WITH_SPECAUG = [p for p in TRAIN_CONFIGS if p.name.startswith("train_student")
                         and (yaml.safe_load(p.read_text()) or {}).get("specaug") and p not in NOT_IN_A_COMPARISON]


@pytest.mark.parametrize("config", STUDENTS_WITH_SPECAUG, ids=config_id)
def test_no_student_warps_time(config):
    """Time warp misaligns frame-level KD; every student of a comparison, the student alone too, goes without it."""
    assert yaml.safe_load(config.read_text())["specaug_conf"].get("apply_time_warp") is False, config


def test_every_corpus_recipe_has_fpkd_in_one_training():
    for conf in CONF_DIRS:
        if (conf / "train_student_fpkd_stage1.yaml").exists():
            terms = yaml.safe_load((conf / "train_student_fpkd.yaml").read_text())["model_conf"]["kd_terms"]
            assert [terms[t].get("start_epoch", 1) > 1 for t in ("binary_kd", "repr_kd", "fkl")] == [False, True, True]
