"""A teacher trained in another recipe keeps its own statistics and tokens, and never replaces another teacher."""
import pytest
import yaml

from ctc_kd.bin.import_teacher import main
from ctc_kd.experiment.external_teacher import import_teacher

TOKENS = ["<blank>", "<unk>", "a", "b", "<sos/eos>"]


@pytest.fixture
def recipes(tmp_path, monkeypatch):
    """Two recipe folders with statistics at the same relative path; the teacher was trained in `other`."""
    other, here = tmp_path / "other" / "asr1", tmp_path / "here" / "asr1"
    for recipe, content in ((other, b"their stats"), (here, b"our stats")):
        (recipe / "exp" / "asr_stats_char" / "train").mkdir(parents=True)
        (recipe / "exp" / "asr_stats_char" / "train" / "feats_stats.npz").write_bytes(content)
    teacher = other / "exp" / "teacher"
    teacher.mkdir()
    config = {"token_list": TOKENS, "normalize": "global_mvn",
              "normalize_conf": {"stats_file": "exp/asr_stats_char/train/feats_stats.npz"}, "required": ["output_dir"]}
    (teacher / "config.yaml").write_text(yaml.safe_dump(config))
    (teacher / "valid.cer_ctc.best.pth").write_bytes(b"weights")
    (here / "data").mkdir()
    (here / "data" / "tokens.txt").write_text("\n".join(TOKENS) + "\n")
    monkeypatch.chdir(here)
    return teacher, here


def test_the_teacher_keeps_its_own_statistics(recipes):
    teacher, here = recipes
    import_teacher(teacher / "valid.cer_ctc.best.pth", teacher / "config.yaml", "exp/teacher", "data/tokens.txt")
    config = yaml.safe_load((here / "exp" / "teacher" / "config.yaml").read_text())
    assert config["normalize_conf"]["stats_file"] == "exp/teacher/teacher_feats_stats.npz"
    assert (here / "exp" / "teacher" / "teacher_feats_stats.npz").read_bytes() == b"their stats"
    assert (here / "exp" / "teacher" / "external.pth").resolve() == (teacher / "valid.cer_ctc.best.pth").resolve()
    # importing the same teacher again is harmless
    import_teacher(teacher / "valid.cer_ctc.best.pth", teacher / "config.yaml", "exp/teacher", "data/tokens.txt")


def test_another_token_list_is_refused_at_import(recipes):
    teacher, here = recipes
    (here / "data" / "tokens.txt").write_text("\n".join(["<blank>", "<unk>", "b", "a", "<sos/eos>"]) + "\n")
    with pytest.raises(SystemExit, match="differs from this recipe's data/tokens.txt .5 tokens. first at id 2"):
        import_teacher(teacher / "valid.cer_ctc.best.pth", teacher / "config.yaml", "exp/teacher", "data/tokens.txt")
    assert not (here / "exp" / "teacher").exists()


def test_statistics_that_cannot_be_found_are_refused_with_the_key(recipes):
    teacher, _ = recipes
    (teacher.parent / "asr_stats_char" / "train" / "feats_stats.npz").unlink()
    with pytest.raises(SystemExit, match="normalize_conf.stats_file is exp/asr_stats_char/train/feats_stats.npz, "
                                         "which is not found .*--external_teacher_config"):
        import_teacher(teacher / "valid.cer_ctc.best.pth", teacher / "config.yaml", "exp/teacher")


def test_a_teacher_trained_here_is_never_replaced(recipes):
    teacher, here = recipes
    (here / "exp" / "teacher").mkdir()
    (here / "exp" / "teacher" / "config.yaml").write_text("ours")
    (here / "exp" / "teacher" / "valid.cer_ctc.best.pth").write_bytes(b"ours")
    with pytest.raises(SystemExit, match="exp/teacher holds a teacher trained in this recipe: .*--teacher_name"):
        main([str(teacher / "valid.cer_ctc.best.pth"), str(teacher / "config.yaml"), "exp/teacher"])
    assert (here / "exp" / "teacher" / "config.yaml").read_text() == "ours"


def test_a_teacher_imported_from_another_file_is_never_replaced(recipes):
    teacher, here = recipes
    import_teacher(teacher / "valid.cer_ctc.best.pth", teacher / "config.yaml", "exp/teacher")
    (teacher / "10epoch.pth").write_bytes(b"other weights")
    with pytest.raises(SystemExit, match="is the teacher imported from .*valid.cer_ctc.best.pth, not "):
        import_teacher(teacher / "10epoch.pth", teacher / "config.yaml", "exp/teacher")
