"""The corpus recipes (AISHELL-1, TED-LIUM 2, LibriSpeech 960 h and 100 h, speechocean762) run their whole run.sh,
from a tiny corpus tree in the raw layout to the results table, with the tiny configs standing in for the full-size
ones; librispeech_100, which is librispeech's run.sh on another training set, up to the statistics."""
import json
import re
from pathlib import Path

import pytest
from conftest import REPO, run_recipe

from corpus_trees import (aishell_speech, build_aishell, build_librispeech, build_speechocean762, build_tedlium2,
                          cathy_words)

pytestmark = pytest.mark.slow

TINY = REPO / "conf" / "tiny"
STUDENTS = ("student_fpkd_stage1",)  # one KD student: the corpus recipes differ in their data, not their methods
SYSTEMS = ("teacher",) + STUDENTS


def cathy_stems(corpora: Path, count: int, skip: int = 0):
    """The first Cathy recording of `count` prompts (after `skip`), in prompt order: distinct sentences."""
    firsts = {}
    for flac in sorted((corpora / "cathy").glob("arctic_a*.flac")):
        firsts.setdefault(flac.stem.rsplit("_", 1)[0], flac.stem)
    return list(firsts.values())[skip:skip + count]


def aishell_tree(root: Path, corpora: Path) -> dict:
    synthesis = root.parent / "espeak"
    synthesis.mkdir()
    build_aishell(root, aishell_speech(synthesis))
    return {"AISHELL": str(root)}


def tedlium2_tree(root: Path, corpora: Path) -> dict:
    stems = cathy_stems(corpora, 12)
    talk = lambda chosen: [(stem, cathy_words(corpora, stem)) for stem in chosen]  # noqa: E731
    build_tedlium2(root, corpora, {"CathyTalk_A": ("train", talk(stems[0:4])),
                                       "CathyTalk_B": ("train", talk(stems[4:8])),
                                       "CathyTalk_C": ("dev", talk(stems[8:10])),
                                       "CathyTalk_D": ("test", talk(stems[10:12]))})
    return {"TEDLIUM2": str(root)}


def librispeech_tree(root: Path, corpora: Path) -> dict:
    stems = iter(cathy_stems(corpora, 16))
    take = lambda n: [next(stems) for _ in range(n)]  # noqa: E731
    build_librispeech(root, corpora, {
        "train-clean-100": ("1234", "5678", take(6)), "train-clean-360": ("2345", "678", take(1)),
        "train-other-500": ("3456", "7890", take(1)), "dev-clean": ("1272", "128104", take(2)),
        "dev-other": ("116", "288045", take(2)), "test-clean": ("1089", "134686", take(2)),
        "test-other": ("1688", "142285", take(2))})
    return {"LIBRISPEECH": str(root)}


def speechocean762_tree(root: Path, corpora: Path) -> dict:
    build_speechocean762(root, corpora)
    (root / "dev_speakers").write_text("1027\n")  # the recipe's own list names speakers of the real corpus
    return {"SPEECHOCEAN762": str(root)}


# recipe -> (corpus tree, test sets, extra run.sh options; {corpus} is the tree's folder); AISHELL keeps the speed
# perturbation of its run.sh, TED-LIUM 2 decodes with the recipe's ESPnet beam-search config, speechocean762 trains
# one seed instead of its two
RECIPES = {
    "aishell": (aishell_tree, ["dev", "test"], []),
    "tedlium2": (tedlium2_tree, ["dev", "test"], ["--nbpe", "60", "--speed_perturb_factors", "",
                                                  "--decode_config", "conf/decode_beam.yaml"]),
    "librispeech": (librispeech_tree, ["dev_clean", "dev_other", "test_clean", "test_other"],
                    ["--nbpe", "60", "--speed_perturb_factors", ""]),
    "speechocean762": (speechocean762_tree, ["dev", "test"],
                       ["--nbpe", "60", "--speed_perturb_factors", "", "--seeds", "1",
                        "--local_data_opts", "--dev_speakers {corpus}/dev_speakers"]),
}


def stage_number(sandbox: Path, title: str) -> str:
    """The number asr_kd.sh --help gives the stage whose title starts with `title` (stages may be added)."""
    usage = run_recipe(sandbox, "--help").stdout
    return re.search(rf"(\d+) {title}", usage).group(1)


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_run_sh_from_the_raw_corpus_to_the_results_table(recipe, sandbox_factory, corpora, tmp_path):
    tree, test_sets, extra = RECIPES[recipe]
    env = tree(tmp_path / "corpus", corpora)
    extra = [option.format(corpus=tmp_path / "corpus") for option in extra]
    sandbox = sandbox_factory(recipe)
    students = " ".join(str(TINY / f"train_{name}.yaml") for name in STUDENTS)
    last = stage_number(sandbox, "results table")
    out = run_recipe(sandbox, "--stop_stage", last, "--teacher_config", str(TINY / "train_teacher.yaml"),
                     "--student_configs", students, "--train_args", "--max_epoch 2", *extra, env=env).stdout
    for stage in range(1, int(last) + 1):
        assert f"==== stage {stage}:" in out
    assert "wrote RESULTS.md" in out
    if recipe == "aishell":
        assert (sandbox / "data" / "train_sp" / "wav.scp").read_text().count("sp0.9-") == 3

    table = (sandbox / "RESULTS.md").read_text()
    main_table = table.split("\n## ")[1]
    header = next(line for line in main_table.splitlines() if line.startswith("| System"))
    assert [f"{s} {'CER' if recipe == 'aishell' else 'WER'} (%)" for s in test_sets] == [
        c.strip() for c in header.strip("|").split("|")[4:4 + len(test_sets)]]
    rows = {row.split("|")[1].strip(): [c.strip() for c in row.strip("|").split("|")]
            for row in main_table.splitlines() if row.startswith("| ") and not row.startswith("| System")}
    assert list(rows) == list(SYSTEMS)
    for system, cells in rows.items():
        for value in cells[4:4 + len(test_sets)]:
            assert re.fullmatch(r"\d+\.\d\d", value), f"{system}: no error rate in {cells}"
    decoder = "beam" if "--decode_config" in extra else "greedy"
    assert all(cells[-1].startswith(decoder) for cells in rows.values())
    for system in SYSTEMS:
        for test_set in test_sets:
            decoded = sandbox / "exp" / system / f"decode_{decoder}" / test_set
            assert (decoded / "score_wer" / "score.json").is_file()
            if decoder == "beam":  # the settings of conf/decode_beam.yaml; CTC-only models search with CTC alone
                info = json.loads((decoded / "decode_info.json").read_text())
                assert (info["beam_size"], info["ctc_weight"]) == (20, 1.0)


def test_librispeech_100_prepares_train_clean_100_alone(sandbox_factory, corpora, tmp_path):
    """librispeech_100 runs librispeech's run.sh with train_clean_100 as its training set: every later stage is
    librispeech's (tested above), so its own part ends with the token list and statistics of that set."""
    env = librispeech_tree(tmp_path / "corpus", corpora)
    sandbox = sandbox_factory("librispeech_100")
    last = stage_number(sandbox, "feature statistics")
    out = run_recipe(sandbox, "--stop_stage", last, "--nbpe", "60", "--speed_perturb_factors", "", env=env).stdout
    assert "--train_set train_clean_100" in out
    trained_on = (sandbox / "dump" / "raw" / "train_clean_100" / "text").read_text().splitlines()
    assert len(trained_on) == 6 and all(line.startswith("1234-5678-") for line in trained_on)  # not 360 nor 500
    for test_set in ("dev_clean", "dev_other", "test_clean", "test_other"):
        assert len((sandbox / "dump" / "raw" / test_set / "text").read_text().splitlines()) == 2
    assert (sandbox / "data" / "token_list" / "bpe_unigram60" / "bpe.model").is_file()
    assert (sandbox / "exp" / "asr_stats_bpe60" / "train" / "feats_stats.npz").is_file()
    # another vocabulary gets statistics of its own, not the 60 pieces' text shapes
    run_recipe(sandbox, "--stage", "5", "--stop_stage", last, "--nbpe", "50", "--speed_perturb_factors", "", env=env)
    shapes = {n: (sandbox / "exp" / f"asr_stats_bpe{n}" / "train" / "text_shape.bpe").read_text() for n in (50, 60)}
    assert shapes[50] != shapes[60]
