"""ctc_kd.bin.results_table: a synthetic exp folder in ESPnet's formats, the numbers in RESULTS.md."""
import json
import logging
import math
import re

import pytest
import torch
import yaml
from exp_trees import make_run, params_of, train_log_lines

from ctc_kd.analysis.curves import mean_curve
from ctc_kd.bin.results_table import main
from ctc_kd.results import markdown
from ctc_kd.results.exp_reader import load_run
from ctc_kd.results.stats import gap_recovered, relative_reduction


def table(md, heading):
    """Rows of the Markdown table under `## heading`: {first cell: {column name: cell}}."""
    section = md.split(f"## {heading}", 1)[1]
    lines = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(head, cells))
    return rows


def footnote(md, cell):
    """The text of the footnote a cell like 'n/a[^3]' refers to."""
    number = cell.split("[^", 1)[1].split("]", 1)[0]
    return md.split(f"\n[^{number}]: ", 1)[1].split("\n", 1)[0]


SYSTEMS = ("teacher student_alone student_sfmx_kd student_blank_elim_kd student_guide_ctc student_fpkd_stage1 "
           "student_fpkd_stage2 student_fpkd_stage3 student_skd student_skd_blank_masked student_never_trained")


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    """Run main once on a full synthetic exp folder; returns (RESULTS.md text, results.json, log records)."""
    root = tmp_path_factory.mktemp("recipe")
    exp = root / "exp"
    make_run(exp, "teacher", blocks=8, width=144, scores={"dev": (5.0, 15.0), "test": (6.0, 18.0)})
    # two seeds of the baseline; seed 1's log was appended on resume (epoch 1 twice) and has a multi-unit time
    make_run(exp, "student_alone_seed1", seed=1, scores={"dev": (10.0, 30.0), "test": (8.0, 20.0)},
             epochs=[("1 minute and 5.33 seconds", "4.67 seconds"),
                     ("1 hour, 2 minutes and 5.5 seconds", "0.5 seconds")])
    with (exp / "student_alone_seed1" / "train.log").open("a") as f:
        f.write("\n".join(train_log_lines([("1 minute and 5.33 seconds", "4.67 seconds")])) + "\n")
    make_run(exp, "student_alone_seed2", seed=2, scores={"dev": (12.0, 34.0), "test": (10.0, 22.0)},
             epochs=[("2 minutes", "10 seconds"), ("2 minutes", "10 seconds")])
    sfmx = {"kd_terms": {"sfmx_kd": {"weight": 1.0, "temperature": 1.0}}}
    make_run(exp, "student_sfmx_kd_seed1", model="kd_student", model_conf=sfmx, seed=1,
             scores={"dev": (9.0, 28.0), "test": (8.0, 19.0)})
    make_run(exp, "student_sfmx_kd_seed2", model="kd_student", model_conf=sfmx, seed=2,
             scores={"dev": (9.4, 29.0), "test": (8.2, 21.0)})
    make_run(exp, "student_blank_elim_kd", model="kd_student",
             model_conf={"kd_terms": {"sfmx_kd": {"frames": "nonblank"}}},
             scores={"dev": (10.45, 31.0), "test": (9.0, 20.0)})
    make_run(exp, "student_guide_ctc", model="kd_student", model_conf={"kd_terms": {"guide_ctc": {}}},
             scores={"dev": (11.0, 33.0), "test": (9.9, 21.0)})
    make_run(exp, "student_fpkd_stage1", model="kd_student", model_conf={"kd_terms": {"binary_kd": {}}},
             scores={"dev": (10.0, 30.0), "test": (8.0, 20.0)})
    make_run(exp, "student_fpkd_stage2", model="kd_student",
             model_conf={"kd_terms": {"binary_kd": {}, "repr_kd": {"layer_pairs": [[-1, -1]]}}},
             init_param="exp/student_fpkd_stage1/valid.cer_ctc.best.pth:::repr_projections",
             scores={"dev": (9.9, 30.0), "test": (7.9, 20.0)})
    # stage 3: training interrupted after 3 of 25 epochs; its test set not decoded; the WER of dev missing; a round-1
    # run: its config.yaml has the flat keys
    make_run(exp, "student_fpkd_stage3", model="kd_student",
             model_conf={"binary_kd_weight": 1.0, "repr_kd_weight": 1.0, "fkl_weight": 1.0, "fkl_variant": "A"},
             epochs=[("1 minute", "0 seconds")] * 3, finished=None, done=False, scores={"dev": (9.5, None)})
    d = make_run(exp, "student_skd", model="self_kd", blocks=8, model_conf={"skd_layer": 4, "skd_frames": "all"},
                 scores={"dev": (9.9, 29.0), "test": (8.1, 20.0)})
    (d / "export" / "model.pth").unlink()  # as in a clone: the results without the model, #params kept by decoding
    for test_set in ("dev", "test"):
        info = d / "decode_greedy" / test_set / "decode_info.json"
        info.write_text(json.dumps({**json.loads(info.read_text()), "params": 54321}))
    d = make_run(exp, "student_skd_blank_masked", model="self_kd", blocks=8,
                 model_conf={"skd_layer": 4, "skd_frames": "nonblank"},
                 scores={"dev": (9.9, 29.0), "test": (8.1, 20.0)})
    (d / "export" / "model.pth").unlink()

    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger().addHandler(handler)
    try:
        rc = main(["--exp_dir", "exp", "--systems", SYSTEMS, "--test_sets", "dev test", "--decoder", "greedy",
                   "--baseline", "student_alone", "--main_metric", "cer", "--title", "Synthetic corpus",
                   "--command", "./run.sh --stage 14", "--out", "RESULTS.md"])
    finally:
        logging.getLogger().removeHandler(handler)
        mp.undo()
    assert rc == 0
    md = (root / "RESULTS.md").read_text()
    data = json.loads((root / "exp" / "results.json").read_text())
    return md, data, [r.getMessage() for r in records if r.levelno == logging.WARNING]


def test_layout_and_order(produced):
    md, _, _ = produced
    assert md.startswith("# Synthetic corpus\n")
    assert md.index("## CER (%) — main metric") < md.index("## WER (%)") < md.index("## How this was produced")
    cer = table(md, "CER (%)")
    assert list(cer) == SYSTEMS.split()
    assert list(next(iter(cer.values()))) == [
        "System", "Method", "#Params (M)", "n", "dev CER (%)", "test CER (%)", "dev rel. red. (%)",
        "test rel. red. (%)", "dev gap rec. (%)", "test gap rec. (%)", "Training time (per run)", "Decoder"]
    assert cer["teacher"]["Decoder"] == "greedy"
    assert "## Training objective" not in md  # no run logged a KD term


def test_method_names_from_configs(produced):
    cer = table(produced[0], "CER (%)")
    assert {k: v["Method"] for k, v in cer.items() if k != "student_never_trained"} == {
        "teacher": "teacher",
        "student_alone": "student alone",
        "student_sfmx_kd": "Sfmx-KD",
        "student_blank_elim_kd": "blank-eliminated KD",
        "student_guide_ctc": "Guide-CTC",
        "student_fpkd_stage1": "FPKD stage 1 (binary KD)",
        "student_fpkd_stage2": "FPKD stage 2 (binary KD + factorized hidden KD)",
        "student_fpkd_stage3": "FPKD stage 3 (binary KD + factorized hidden KD + FKL)",
        "student_skd": "SKD (block 4 of 8)",
        "student_skd_blank_masked": "SKD (block 4 of 8, blank-masked)",
    }


def test_seed_mean_std_and_relative_reduction(produced):
    md, data, _ = produced
    cer, wer = table(md, "CER (%)"), table(md, "WER (%)")
    base = cer["student_alone"]
    assert base["n"] == "2"
    assert base["dev CER (%)"] == "11.00 ± 1.41 [10.00–12.00]"  # stdev(10, 12) = sqrt(2)
    assert base["test CER (%)"] == "9.00 ± 1.41 [8.00–10.00]"
    assert base["dev rel. red. (%)"] == base["test rel. red. (%)"] == "—"
    sfmx = cer["student_sfmx_kd"]
    assert sfmx["dev CER (%)"] == "9.20 ± 0.28 [9.00–9.40]"
    # dev: both seeds (9.0, 9.4) below both baseline seeds (10, 12): beyond the seed spread, marked
    assert sfmx["dev rel. red. (%)"] == "16.4†"  # (11 - 9.2) / 11 = 16.36 %
    # test: 8.0 ties the baseline's best seed (8.0): the ranges touch, not marked
    assert sfmx["test rel. red. (%)"] == "10.0"  # (9 - 8.1) / 9
    assert cer["teacher"]["n"] == "1" and cer["teacher"]["dev CER (%)"] == "5.00"
    assert cer["teacher"]["dev rel. red. (%)"] == "54.5"  # (11 - 5) / 11
    assert cer["teacher"]["test rel. red. (%)"] == "33.3"
    assert cer["student_blank_elim_kd"]["dev rel. red. (%)"] == "5.0"  # (11 - 10.45) / 11
    assert cer["student_guide_ctc"]["dev rel. red. (%)"] == "0.0"
    assert cer["student_guide_ctc"]["test rel. red. (%)"] == "-10.0"  # worse than the baseline
    assert wer["student_alone"]["dev WER (%)"] == "32.00 ± 2.83 [30.00–34.00]"
    assert wer["student_sfmx_kd"]["dev rel. red. (%)"] == "10.9†"  # (32 - 28.5) / 32; seeds 28, 29 vs 30, 34
    assert wer["teacher"]["test rel. red. (%)"] == "14.3"  # (21 - 18) / 21
    entry = next(s for s in data["systems"] if s["name"] == "student_sfmx_kd")["metrics"]["cer"]["dev"]
    assert entry["values"] == [9.0, 9.4] and entry["n"] == 2
    assert math.isclose(entry["mean"], 9.2) and math.isclose(entry["std"], math.sqrt(0.08))
    assert math.isclose(entry["rel_reduction"], relative_reduction(11.0, 9.2))
    assert entry["beyond_seed_spread"] is True
    # the share of the teacher-student gap: the baseline's mean 11 (dev) / 9 (test), the teacher's 5 / 6
    assert sfmx["dev gap rec. (%)"] == "30.0"  # (11 - 9.2) / (11 - 5)
    assert sfmx["test gap rec. (%)"] == "30.0"  # (9 - 8.1) / (9 - 6)
    assert cer["student_guide_ctc"]["test gap rec. (%)"] == "-30.0"  # (9 - 9.9) / (9 - 6): worse than alone
    assert base["dev gap rec. (%)"] == cer["teacher"]["dev gap rec. (%)"] == "—"
    assert math.isclose(entry["gap_recovered"], gap_recovered(11.0, 5.0, 9.2))
    spread = {s["name"]: s["metrics"]["cer"]["test"]["beyond_seed_spread"] for s in data["systems"]}
    # one seed on a side: no judgement; the baseline is not compared with itself
    assert spread["student_sfmx_kd"] is False and spread["teacher"] is None and spread["student_alone"] is None
    assert "† = beyond the seed spread" in md


def test_reading_is_included_and_a_missing_one_is_an_error(tmp_path, monkeypatch, caplog):
    exp = tmp_path / "exp"
    make_run(exp, "student_alone", scores={"test": (8.0, 20.0)})
    monkeypatch.chdir(tmp_path)
    args = ["--exp_dir", "exp", "--systems", "student_alone", "--test_sets", "test", "--out", "RESULTS.md"]
    assert main(args + ["--reading", "reading.md"]) != 0
    assert "--reading reading.md does not exist: write the reading" in caplog.text
    assert not (tmp_path / "RESULTS.md").exists()
    (tmp_path / "reading.md").write_text("  \n")
    assert main(args + ["--reading", "reading.md"]) != 0
    assert "--reading reading.md is empty" in caplog.text
    (tmp_path / "reading.md").write_text("KD helped by **3%**.\n")
    assert main(args + ["--reading", "reading.md"]) == 0
    md = (tmp_path / "RESULTS.md").read_text()
    assert "\n## Reading\n\nKD helped by **3%**.\n\n## Per run\n" in md


def test_parameters_and_training_time(produced):
    md, data, _ = produced
    cer = table(md, "CER (%)")
    assert params_of(144) == 19038 and params_of(96) == 12702
    assert cer["teacher"]["#Params (M)"] == "0.02" and cer["student_alone"]["#Params (M)"] == "0.01"
    teacher = next(s for s in data["systems"] if s["name"] == "teacher")
    assert teacher["params"] == 19038 and teacher["runs"][0]["train_seconds"] == 70.0
    # seed 1: 65.33 + 4.67 + 3725.5 + 0.5 = 3796 s (epoch 1 logged twice counts once); seed 2: 2 * 130 = 260 s
    base = next(s for s in data["systems"] if s["name"] == "student_alone")
    assert [r["train_seconds"] for r in base["runs"]] == [3796.0, 260.0]
    assert cer["student_alone"]["Training time (per run)"] == "0:33:48"  # mean 2028 s
    assert cer["teacher"]["Training time (per run)"] == "0:01:10"
    per_run = table(md, "Per run")
    assert per_run["student_alone_seed1"]["Training time"] == "1:03:16"
    assert per_run["student_alone_seed1"]["Seed"] == "1" and per_run["student_alone_seed1"]["Epochs"] == "2"
    assert per_run["student_alone_seed2"]["dev CER (%)"] == "12.00"


def test_params_recorded_by_decoding_stand_in_for_a_missing_export(produced):
    md, data, _ = produced
    skd = {s["name"]: s for s in data["systems"]}["student_skd"]
    assert skd["params"] == 54321 and "params" not in skd["runs"][0]["missing"]
    assert table(md, "CER (%)")["student_skd"]["#Params (M)"] == "0.05"


def test_missing_pieces_are_na_with_footnotes(produced):
    md, data, warnings = produced
    cer, wer = table(md, "CER (%)"), table(md, "WER (%)")
    never = cer["student_never_trained"]
    assert never["n"] == "0"
    for column in ("Method", "#Params (M)", "dev CER (%)", "test CER (%)", "dev rel. red. (%)",
                   "Training time (per run)"):
        assert never[column].startswith("n/a[^")
        assert footnote(md, never[column]) == "`exp/student_never_trained` does not exist: not trained yet"
    stage3 = cer["student_fpkd_stage3"]
    assert stage3["dev CER (%)"] == "9.50"
    assert footnote(md, stage3["test CER (%)"]) == (
        "`exp/student_fpkd_stage3/decode_greedy/test/score_cer/score.json` is missing")
    assert footnote(md, stage3["Training time (per run)"]) == (
        "student_fpkd_stage3: training not finished (3 of 25 epochs in `exp/student_fpkd_stage3/train.log`, "
        "0:03:00 so far)")
    assert footnote(md, wer["student_fpkd_stage3"]["dev WER (%)"]).startswith(
        "`exp/student_fpkd_stage3/decode_greedy/dev/score_wer/score.json` is missing")
    assert footnote(md, cer["student_skd_blank_masked"]["#Params (M)"]) == (
        "`exp/student_skd_blank_masked/export/model.pth` is missing (not exported yet) and no decode_info.json "
        "records #params")
    stage2_time = cer["student_fpkd_stage2"]["Training time (per run)"]
    assert stage2_time.startswith("0:01:10[^")
    assert footnote(md, stage2_time) == (
        "student_fpkd_stage2 continues from `exp/student_fpkd_stage1`: that training time is not included")
    assert ("exp/student_never_trained does not exist: student_never_trained is shown as n/a (not trained yet?)"
            in warnings)
    assert any("exp/student_fpkd_stage3/decode_greedy/test/score_cer/score.json is missing" in w for w in warnings)
    never_json = next(s for s in data["systems"] if s["name"] == "student_never_trained")
    assert never_json["metrics"]["cer"]["dev"]["mean"] is None and never_json["n"] == 0


def test_how_it_was_produced(produced):
    md, data, _ = produced
    how = md.split("## How this was produced", 1)[1]
    assert "```sh\n./run.sh --stage 14\n```" in how
    assert f"torch {torch.__version__}" in how and "Python " in how and "ESPnet " in how and "torch threads" in how
    assert ("- student_sfmx_kd_seed2: `exp/student_sfmx_kd_seed2/config.yaml` (from "
            "`conf/train_student_sfmx_kd.yaml`; trained with torch 2.9.1+cu128 on CPU)") in how
    assert data["commands"] == ["./run.sh --stage 14"] and data["baseline"] == "student_alone"


def test_without_seed_grouping_and_with_partial_seeds(tmp_path, monkeypatch):
    exp = tmp_path / "exp"
    make_run(exp, "student_alone_seed1", scores={"dev": (10.0, 30.0)})
    make_run(exp, "student_alone_seed2", scores={"dev": (12.0, 30.0)})
    make_run(exp, "kd_seed1", model="kd_student", model_conf={"kd_terms": {"sfmx_kd": {"weight": 0.5}}},
             scores={"dev": (9.0, 30.0)})
    make_run(exp, "kd_seed2", model="kd_student", model_conf={"kd_terms": {"sfmx_kd": {"weight": 0.5}}}, scores={})
    monkeypatch.chdir(tmp_path)
    args = ["--exp_dir", "exp", "--systems", "student_alone", "kd", "--test_sets", "dev", "--baseline",
            "student_alone", "--main_metric", "wer", "--out", "out/R.md", "--json", "out/r.json"]
    assert main(args) == 0
    md = (tmp_path / "out" / "R.md").read_text()
    assert md.index("## WER (%) — main metric") < md.index("## CER (%)")
    kd = table(md, "CER (%)")["kd"]
    assert kd["Method"] == "Sfmx-KD ×0.5" and kd["n"] == "2"
    assert kd["dev CER (%)"].startswith("9.00[^")  # one of two runs scored
    assert footnote(md, kd["dev CER (%)"]) == (
        "kd CER on dev: mean over 1 of 2 runs; `exp/kd_seed2/decode_greedy/dev/score_cer/score.json` is missing")
    assert kd["dev rel. red. (%)"] == "18.2"  # (11 - 9) / 11
    assert (tmp_path / "out" / "r.json").is_file() and not (exp / "results.json").exists()

    assert main(args + ["--seeds_grouping", "false"]) == 0
    rows = table((tmp_path / "out" / "R.md").read_text(), "CER (%)")
    assert list(rows) == ["student_alone_seed1", "student_alone_seed2", "kd_seed1", "kd_seed2"]
    assert rows["student_alone_seed1"]["dev rel. red. (%)"] == "—"
    assert rows["kd_seed1"]["dev rel. red. (%)"] == "18.2"  # still against the baseline's mean over its seeds
    assert rows["kd_seed1"]["Training time"] == "0:01:10"


def test_a_learning_rate_other_than_the_baselines_is_named(tmp_path, monkeypatch):
    """The FPKD schedule ablation has the method of the default chain; its learning rate tells the rows apart."""
    exp = tmp_path / "exp"
    fpkd2 = {"kd_terms": {"binary_kd": {}, "repr_kd": {}}}
    for name, model, conf, lr in (("student_alone", "espnet", {}, 0.003), ("fpkd2", "kd_student", fpkd2, 0.003),
                                  ("fpkd2_lowlr", "kd_student", fpkd2, 0.001), ("no_lr", "kd_student", fpkd2, None)):
        d = make_run(exp, name, model=model, model_conf=conf, scores={"dev": (10.0, 30.0)})
        if lr is not None:
            config = yaml.safe_load((d / "config.yaml").read_text())
            (d / "config.yaml").write_text(yaml.safe_dump({**config, "optim_conf": {"lr": lr}}))
    monkeypatch.chdir(tmp_path)
    assert main(["--exp_dir", "exp", "--systems", "student_alone fpkd2 fpkd2_lowlr no_lr", "--test_sets", "dev",
                 "--baseline", "student_alone", "--out", "R.md"]) == 0
    methods = {name: row["Method"] for name, row in table((tmp_path / "R.md").read_text(), "CER (%)").items()}
    assert methods["fpkd2"] == "FPKD stage 2 (binary KD + factorized hidden KD)"
    assert methods["fpkd2_lowlr"] == "FPKD stage 2 (binary KD + factorized hidden KD), lr 0.001"
    assert methods["no_lr"] == methods["fpkd2"]  # nothing to compare: no suffix


def test_bad_baseline_is_an_error(tmp_path, caplog):
    (tmp_path / "exp").mkdir()
    rc = main(["--exp_dir", str(tmp_path / "exp"), "--systems", "a b", "--test_sets", "dev", "--baseline", "c",
               "--out", str(tmp_path / "R.md")])
    assert rc == 1 and "--baseline c is not one of --systems (a b)" in caplog.text
    assert not (tmp_path / "R.md").exists()


def make_group_runs(exp):
    """A teacher, two seeds of the student alone, and a group on another architecture: its own alone and SKD."""
    make_run(exp, "teacher", scores={"dev": (5.0, 15.0)})
    for seed, cer in ((1, 10.0), (2, 12.0)):
        make_run(exp, f"student_alone_seed{seed}", seed=seed, scores={"dev": (cer, 30.0)})
    for seed, cer in ((1, 8.0), (2, 9.0)):
        make_run(exp, f"small_alone_seed{seed}", seed=seed, scores={"dev": (cer, 30.0)})
    for seed, cer in ((1, 6.0), (2, 6.5)):
        make_run(exp, f"skd_seed{seed}", seed=seed, model="self_kd", blocks=8, model_conf={"skd_layer": 4},
                 scores={"dev": (cer, 30.0)})


def test_a_group_compared_with_a_baseline_of_its_own(tmp_path, monkeypatch, caplog):
    """SKD's group (another architecture) is compared with its own student alone, in both columns and the JSON."""
    exp = tmp_path / "exp"
    make_group_runs(exp)
    monkeypatch.chdir(tmp_path)
    args = ["--exp_dir", "exp", "--systems", "teacher student_alone small_alone skd", "--test_sets", "dev",
            "--baseline", "student_alone", "--out", "R.md"]
    assert main(args + ["--baseline_of", "skd:small_alone"]) == 0
    md = (tmp_path / "R.md").read_text()
    cer = table(md, "CER (%)")
    assert cer["small_alone"]["dev rel. red. (%)"] == "22.7†"  # (11 - 8.5) / 11: against the table's baseline
    assert cer["skd"]["dev rel. red. (%)"] == "26.5†"  # (8.5 - 6.25) / 8.5, seeds 6, 6.5 vs 8, 9
    assert cer["skd"]["dev gap rec. (%)"] == "64.3"  # (8.5 - 6.25) / (8.5 - 5)
    assert "`skd` is compared with `small_alone` instead" in md
    entry = next(s for s in json.loads((exp / "results.json").read_text())["systems"] if s["name"] == "skd")
    assert entry["metrics"]["cer"]["dev"]["baseline"] == "small_alone"
    assert math.isclose(entry["metrics"]["cer"]["dev"]["rel_reduction"], relative_reduction(8.5, 6.25))

    assert main(args + ["--baseline_of", "skd:missing"]) == 1
    assert "--baseline_of skd:missing: give system:baseline, both of --systems" in caplog.text


def write_alignment(run_dir, align_set, plots=True, **numbers):
    """exp/<run>/alignment/<set>/ as ctc_kd.bin.alignment leaves it (the PNGs only as placeholders)."""
    out = run_dir / "alignment" / align_set
    out.mkdir(parents=True)
    (out / "alignment.json").write_text(json.dumps({"teacher": "exp/teacher/export", **numbers}))
    if plots:
        for png in ("posteriors.png", "offsets.png"):
            (out / png).write_bytes(b"\x89PNG\r\n\x1a\n")


def test_spike_timing_section_averages_seeds_and_links_plots(tmp_path, monkeypatch):
    exp = tmp_path / "exp"
    make_run(exp, "teacher", scores={"dev": (5.0, 15.0)})
    for seed, (offset, exact, miss) in ((1, (1.0, 0.5, 0.1)), (2, (2.0, 0.3, 0.2))):
        d = make_run(exp, f"student_alone_seed{seed}", seed=seed, scores={"dev": (10.0, 30.0)})
        write_alignment(d, "dev", teacher_spikes=40, mean_abs_offset=offset, exact_share=exact, miss_rate=miss)
    d = make_run(exp, "student_skd", model="self_kd", model_conf={"skd_layer": 2}, scores={"dev": (9.0, 29.0)})
    write_alignment(d, "dev", teacher_spikes=40, mean_abs_offset=0.25, exact_share=0.875, near_share=0.95,
                    miss_rate=0.0)
    make_run(exp, "student_fpkd_stage1", model="kd_student", model_conf={"kd_terms": {"binary_kd": {}}},
             scores={"dev": (9.5, 29.0)})
    d = make_run(exp, "student_guide_ctc", model="kd_student", model_conf={"kd_terms": {"guide_ctc": {}}},
                 scores={"dev": (9.5, 29.0)})
    write_alignment(d, "dev", plots=False, teacher_spikes=0, mean_abs_offset=None, exact_share=None, miss_rate=None)
    d = make_run(exp, "student_sfmx_kd", model="kd_student", model_conf={"kd_terms": {"sfmx_kd": {}}})
    write_alignment(d, "dev", teacher_spikes=40, mean_abs_offset=None, exact_share=0.0, miss_rate=1.0)
    monkeypatch.chdir(tmp_path)
    assert main(["--exp_dir", "exp", "--systems", "teacher student_alone student_skd student_fpkd_stage1 "
                 "student_guide_ctc student_sfmx_kd", "--test_sets", "dev", "--align_set", "dev",
                 "--out", "RESULTS.md"]) == 0
    md = (tmp_path / "RESULTS.md").read_text()
    assert md.index("## WER (%)") < md.index("## Spike timing vs teacher (dev)") < md.index("## Per run")
    rows = table(md, "Spike timing vs teacher (dev)")
    assert list(rows) == ["student_alone", "student_skd", "student_fpkd_stage1", "student_guide_ctc",
                          "student_sfmx_kd"]  # no teacher
    alone = rows["student_alone"]
    assert (alone["n"], alone["Teacher spikes"]) == ("2", "40")
    assert alone["Mean abs. offset (frames)"] == "1.50 ± 0.71 [1.00–2.00]"  # stdev(1, 2) = 0.707
    assert alone["Exact (%)"] == "40.0 ± 14.1 [30.0–50.0]" and alone["Miss (%)"] == "15.0 ± 7.1 [10.0–20.0]"
    assert alone["Plots"] == (  # copied beside RESULTS.md: exp/ is not committed with it
        "seed 1: [posteriors](plots/student_alone_seed1.dev.posteriors.png) "
        "[offsets](plots/student_alone_seed1.dev.offsets.png); "
        "seed 2: [posteriors](plots/student_alone_seed2.dev.posteriors.png) "
        "[offsets](plots/student_alone_seed2.dev.offsets.png)")
    assert (tmp_path / "plots" / "student_alone_seed2.dev.offsets.png").read_bytes() == b"\x89PNG\r\n\x1a\n"
    skd = rows["student_skd"]
    assert (skd["Method"], skd["Mean abs. offset (frames)"], skd["Exact (%)"], skd["Within ±1 (%)"],
            skd["Miss (%)"]) == ("SKD (block 2 of 4)", "0.25", "87.5", "95.0", "0.0")
    assert alone["Within ±1 (%)"].startswith("n/a")  # an alignment.json written before near_share: shown, not guessed
    assert skd["Plots"] == ("[posteriors](plots/student_skd.dev.posteriors.png) "
                            "[offsets](plots/student_skd.dev.offsets.png)")
    missing = rows["student_fpkd_stage1"]
    assert missing["Teacher spikes"] == "n/a" and missing["Plots"] == "—"
    assert footnote(md, missing["Miss (%)"]) == "`exp/student_fpkd_stage1/alignment/dev/alignment.json` is missing"
    assert footnote(md, rows["student_guide_ctc"]["Exact (%)"]) == (
        "`exp/student_guide_ctc/alignment/dev/alignment.json` counts no teacher spikes: no offsets or rates")
    silent = rows["student_sfmx_kd"]  # fires no spike of the teacher's tokens: no offsets, but rates
    assert (silent["Exact (%)"], silent["Miss (%)"]) == ("0.0", "100.0")
    assert footnote(md, silent["Mean abs. offset (frames)"]) == (
        "student_sfmx_kd: no teacher spike has a student spike of its token (all missed): no offsets")
    data = json.loads((exp / "results.json").read_text())
    systems = {s["name"]: s for s in data["systems"]}
    assert systems["teacher"]["alignment"] is None and data["align_set"] == "dev"
    assert systems["student_alone"]["alignment"]["miss_rate"]["values"] == [0.1, 0.2]
    assert systems["student_alone"]["runs"][0]["alignment"]["mean_abs_offset"] == 1.0
    assert "teacher/alignment" not in md  # the teacher is not compared with itself, nor warned about

    for png in exp.glob("*/alignment/dev/*.png"):  # a clone: the PNGs only as the copies committed with the table
        png.unlink()
    (tmp_path / "plots" / "student_skd.dev.offsets.png").unlink()
    assert main(["--exp_dir", "exp", "--systems", "teacher student_alone student_skd", "--test_sets", "dev",
                 "--align_set", "dev", "--out", "RESULTS.md"]) == 0
    rows = table((tmp_path / "RESULTS.md").read_text(), "Spike timing vs teacher (dev)")
    assert rows["student_alone"]["Plots"] == alone["Plots"]
    assert rows["student_skd"]["Plots"] == "[posteriors](plots/student_skd.dev.posteriors.png)"

    assert main(["--exp_dir", "exp", "--systems", "teacher student_skd", "--test_sets", "dev", "--out", "R2.md"]) == 0
    assert "Spike timing" not in (tmp_path / "R2.md").read_text()  # without --align_set: no section


def set_valid_cer(run_dir, cers, key="cer_ctc"):
    """Rewrite exp/<run>/train.log so that epoch k reports valid <key> = cers[k-1] (plus a nan and the time)."""
    lines = []
    for line in (run_dir / "train.log").read_text().splitlines():
        m = re.search(r"(\d+)epoch results", line)
        if m:
            line = line.replace("cer_ctc=0.123", f"{key}={cers[int(m.group(1)) - 1]}")
        lines.append(line)
    (run_dir / "train.log").write_text("\n".join(lines) + "\n")




def test_validation_curves_follow_chains_and_selection_metrics(tmp_path, monkeypatch):
    exp = tmp_path / "exp"
    three = [("1 minute", "1 second")] * 3
    for seed, cers in ((1, [0.6, 0.4, 0.3]), (2, [0.5, 0.4, 0.35])):
        set_valid_cer(make_run(exp, f"student_alone_seed{seed}", seed=seed, epochs=three, scores={"dev": (30, 60)}),
                      cers)
    set_valid_cer(make_run(exp, "student_fpkd_stage1", model="kd_student", model_conf={"kd_terms": {"binary_kd": {}}},
                           epochs=three, scores={"dev": (30, 60)}), [0.55, 0.4, 0.3])
    set_valid_cer(make_run(exp, "student_fpkd_stage2", model="kd_student",
                           model_conf={"kd_terms": {"binary_kd": {}, "repr_kd": {}}},
                           init_param="exp/student_fpkd_stage1/valid.cer_ctc.best.pth", epochs=three[:2],
                           scores={"dev": (30, 60)}), [0.28, 0.27])
    skd = make_run(exp, "student_skd", model="self_kd", model_conf={"skd_layer": 2}, epochs=three[:1],
                   scores={"dev": (30, 60)})
    config = yaml.safe_load((skd / "config.yaml").read_text())
    config["best_model_criterion"] = [["valid", "cer_ctc_sub", "min"]]
    (skd / "config.yaml").write_text(yaml.safe_dump(config))
    with (skd / "train.log").open() as f:
        text = f.read().replace("cer_ctc=0.123", "cer_ctc=0.2, cer_ctc_sub=0.45")
    (skd / "train.log").write_text(text)

    monkeypatch.chdir(tmp_path)
    assert main(["--exp_dir", "exp", "--systems", "student_alone student_fpkd_stage1 student_fpkd_stage2 student_skd",
                 "--test_sets", "dev", "--baseline", "student_alone", "--out", "RESULTS.md"]) == 0
    md = (tmp_path / "RESULTS.md").read_text()
    assert "## Validation error by epoch\n\n![validation error by epoch](plots/valid_curves.png)" in md
    assert "`cer_ctc`, `cer_ctc_sub`" in md
    png = tmp_path / "plots" / "valid_curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000

    runs = {r.name: r for r in (load_run(exp, n, ["dev"], "greedy") for n in
                                ("student_alone_seed1", "student_fpkd_stage2", "student_skd"))}
    assert runs["student_alone_seed1"].valid_curve() == pytest.approx({1: 60.0, 2: 40.0, 3: 30.0})
    # stage 2 continues stage 1's 3 epochs; SKD is judged by its sub-model
    assert runs["student_fpkd_stage2"].valid_curve() == pytest.approx({4: 28.0, 5: 27.0})
    assert runs["student_skd"].valid_curve() == pytest.approx({1: 45.0})
    assert mean_curve([{1: 60.0, 2: 40.0, 3: 30.0}, {1: 50.0, 2: 40.0}]) == pytest.approx({1: 55.0, 2: 40.0})


def test_training_commands_of_every_run_are_listed_once(tmp_path, monkeypatch):
    exp = tmp_path / "exp"
    first = "./asr_kd.sh --stage 10 --stop_stage 10 --systems student_alone"
    resume = "./asr_kd.sh --stage 10 --systems student_alone --results_title 'Two words'"
    for seed in (1, 2):
        d = make_run(exp, f"student_alone_seed{seed}", seed=seed, scores={"dev": (30, 60)})
        (d / "recipe_commands").write_text(first + "\n" + (resume + "\n" if seed == 2 else ""))
    make_run(exp, "teacher", scores={"dev": (20, 50)})  # trained before commands were recorded
    monkeypatch.chdir(tmp_path)
    assert main(["--exp_dir", "exp", "--systems", "teacher student_alone", "--test_sets", "dev",
                 "--command", "./asr_kd.sh --stage 14", "--out", "RESULTS.md"]) == 0
    md = (tmp_path / "RESULTS.md").read_text()
    section = md.split("## How this was produced\n", 1)[1]
    assert section.startswith(
        "\nTraining (each run's `recipe_commands`; a resumed run lists every call):\n\n```sh\n"
        f"# student_alone_seed1, student_alone_seed2\n{first}\n# student_alone_seed2\n{resume}\n```\n\n"
        "Command(s) of this table:\n\n```sh\n./asr_kd.sh --stage 14\n```\n")


def test_blank_ratios_per_system_and_the_teachers_on_the_training_data(tmp_path, monkeypatch):
    exp = tmp_path / "exp"
    make_run(exp, "teacher", scores={"dev": (5.0, 15.0)})
    make_run(exp, "student_alone", scores={"dev": (11.0, 30.0)})
    for seed, ratio in ((1, 0.60), (2, 0.64)):  # the teacher's blank share on the training batches, as KD logs it
        d = make_run(exp, f"student_sfmx_kd_seed{seed}", model="kd_student",
                     model_conf={"kd_terms": {"sfmx_kd": {}}}, scores={"dev": (9.0, 28.0)})
        log = d / "train.log"
        log.write_text(log.read_text().replace("[train] iter_time=0.003,",
                                               f"[train] iter_time=0.003, teacher_blank_ratio={ratio},"))
    for name, ratio in (("teacher", 0.7), ("student_alone", 0.5)):  # decodings that recorded it (greedy does now)
        info = exp / name / "decode_greedy" / "dev" / "decode_info.json"
        info.write_text(json.dumps({**json.loads(info.read_text()), "blank_ratio": ratio}))
    monkeypatch.chdir(tmp_path)
    assert main(["--exp_dir", "exp", "--systems", "teacher student_alone student_sfmx_kd", "--test_sets", "dev",
                 "--baseline", "student_alone", "--out", "RESULTS.md"]) == 0
    section = (tmp_path / "RESULTS.md").read_text().split("## Blank ratio (%)\n")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| System")]
    assert rows == ["| teacher | 1 | 70.0 |", "| student_alone | 1 | 50.0 |"]  # the KD runs' decodings have none
    assert "The teacher's on the training data: **62.0%**" in section and "mean over 2 runs" in section


def test_error_types_of_the_main_metric_are_averaged_over_seeds(tmp_path, monkeypatch):
    exp = tmp_path / "exp"
    make_run(exp, "teacher", scores={"dev": (5.0, 15.0)})
    parts = {"student_alone_seed1": (6.0, 5.0, 1.0), "student_alone_seed2": (7.0, 4.0, 2.0),
             "student_guide_ctc_seed1": (5.0, 1.0, 4.5)}  # sub, del, ins of the dev WER
    for name, (sub, dele, ins) in parts.items():
        model = {"model": "kd_student", "model_conf": {"kd_terms": {"guide_ctc": {}}}} if "guide" in name else {}
        d = make_run(exp, name, scores={"dev": (9.0, sub + dele + ins)}, **model)
        score = d / "decode_greedy" / "dev" / "score_wer" / "score.json"
        score.write_text(json.dumps({**json.loads(score.read_text()), "sub": sub, "del": dele, "ins": ins}))
    monkeypatch.chdir(tmp_path)
    assert main(["--exp_dir", "exp", "--systems", "teacher student_alone student_guide_ctc", "--test_sets", "dev",
                 "--baseline", "student_alone", "--main_metric", "wer", "--out", "RESULTS.md"]) == 0
    md = (tmp_path / "RESULTS.md").read_text()
    rows = table(md, "Error types (WER, %)")
    assert rows["student_alone"] == {"System": "student_alone", "n": "2", "dev sub / del / ins": "6.5 / 4.5 / 1.5"}
    assert rows["student_guide_ctc"]["dev sub / del / ins"] == "5.0 / 1.0 / 4.5"
    assert rows["teacher"]["dev sub / del / ins"] == "15.0 / 0.0 / 0.0"  # make_run's default: all substitutions
    assert "in % of the reference's words" in md.split("## Error types (WER, %)")[1]
    assert "## Error types (CER" not in md  # the main metric only
    alone = next(s for s in json.loads((exp / "results.json").read_text())["systems"] if s["name"] == "student_alone")
    assert alone["error_types"]["wer"]["dev"]["del"]["mean"] == pytest.approx(4.5)
    assert alone["error_types"]["wer"]["dev"]["ins"]["values"] == [1.0, 2.0]
    assert alone["error_types"]["cer"]["dev"]["del"]["mean"] == 0.0


def test_training_objective_sets_each_kd_term_against_the_students_ctc_loss(tmp_path, monkeypatch):
    exp = tmp_path / "exp"
    make_run(exp, "teacher", scores={"dev": (5.0, 15.0)})
    make_run(exp, "student_alone", scores={"dev": (11.0, 30.0)})  # train.log: loss_ctc=82.024 every epoch
    last_epoch = {  # what ESPnet logged for the last epoch's [train] part: FPKD's three terms, SKD's one
        "student_fpkd_seed1": "loss_ctc=50.0, loss_binary_kd=10.0, loss_repr_kd=60.0, loss_fkl=30.0, loss_kd=100.0,",
        "student_fpkd_seed2": "loss_ctc=40.0, loss_binary_kd=5.0, loss_repr_kd=20.0, loss_fkl=15.0, loss_kd=40.0,",
        "student_skd": "loss_ctc=10.0, loss_ctc_sub=40.0, loss_skd=120.0, loss_sfmx_kd=120.0,",
    }
    for name, numbers in last_epoch.items():
        model = ({"model": "self_kd", "model_conf": {"skd_layer": 1}} if "skd" in name else
                 {"model": "kd_student", "model_conf": {"kd_terms": {"binary_kd": {}, "fkl": {}}}})
        d = make_run(exp, name, scores={"dev": (9.0, 28.0)}, **model)
        log = d / "train.log"
        lines = log.read_text().splitlines()
        last = max(i for i, line in enumerate(lines) if "epoch results: [train]" in line)
        lines[last] = lines[last].replace("loss_ctc=82.024, ", numbers + " ", 1)
        log.write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    assert main(["--exp_dir", "exp", "--systems", "teacher student_alone student_fpkd student_skd", "--test_sets",
                 "dev", "--baseline", "student_alone", "--out", "RESULTS.md"]) == 0
    rows = table((tmp_path / "RESULTS.md").read_text(), "Training objective (last epoch)")
    assert rows["student_alone"] == {"System": "student_alone", "n": "1", "CTC loss": "82.0", "KD loss": "—",
                                     "KD / CTC": "—", "KD terms": "—"}
    # FPKD: ratios 100/50 = 2 and 40/40 = 1, averaged per run (not 140/90); each term's mean over the two seeds
    assert rows["student_fpkd"]["CTC loss"] == "45.0 ± 7.1 [40.0–50.0]"
    assert rows["student_fpkd"]["KD loss"] == "70.0 ± 42.4 [40.0–100.0]"
    assert rows["student_fpkd"]["KD / CTC"] == "1.50 ± 0.71 [1.00–2.00]"
    assert rows["student_fpkd"]["KD terms"] == "binary_kd 7.5, repr_kd 40.0, fkl 22.5"  # no loss_scale, no total
    # SKD: its sub-model's CTC loss, not the full model's
    assert rows["student_skd"]["CTC loss"] == "40.0" and rows["student_skd"]["KD / CTC"] == "3.00"
    data = json.loads((exp / "results.json").read_text())
    fpkd = next(s for s in data["systems"] if s["name"] == "student_fpkd")
    assert fpkd["objective"]["kd_over_ctc"]["values"] == [2.0, 1.0]
    assert fpkd["objective"]["term:repr_kd"]["mean"] == pytest.approx(40.0)
    alone = next(s for s in data["systems"] if s["name"] == "student_alone")
    assert set(alone["objective"]) == {"ctc"}



def test_the_main_metric_is_drawn_against_the_teacher_and_each_systems_own_baseline(tmp_path, monkeypatch):
    exp = tmp_path / "exp"
    make_group_runs(exp)
    make_run(exp, "sfmx", model="kd_student", model_conf={"kd_terms": {"sfmx_kd": {}}}, scores={"dev": (9.5, 28.0)})
    drawn = []
    monkeypatch.setattr(markdown, "plot_system_errors", lambda *args: drawn.append(args))
    monkeypatch.chdir(tmp_path)
    assert main(["--exp_dir", "exp", "--systems", "teacher student_alone sfmx small_alone skd", "--test_sets", "dev",
                 "--baseline", "student_alone", "--baseline_of", "skd:small_alone", "--main_metric", "cer",
                 "--out", "R.md"]) == 0
    (errors, references, path, xlabel, title, compared_with), = drawn  # the main metric only
    assert errors == {"teacher": {"dev": [5.0]}, "student_alone": {"dev": [10.0, 12.0]}, "sfmx": {"dev": [9.5]},
                      "small_alone": {"dev": [8.0, 9.0]}, "skd": {"dev": [6.0, 6.5]}}
    assert references == {"teacher (mean)": {"dev": 5.0}, "student_alone (mean)": {"dev": 11.0},
                          "small_alone (mean)": {"dev": 8.5}}
    assert compared_with == {"teacher": "teacher (mean)", "student_alone": "student_alone (mean)",
                             "sfmx": "student_alone (mean)", "small_alone": "small_alone (mean)",
                             "skd": "small_alone (mean)"}
    assert str(path) == "plots/errors_cer.png" and xlabel == "CER (%)"  # beside R.md
    md = (tmp_path / "R.md").read_text()
    picture = "![CER by system, every run](plots/errors_cer.png)"
    assert md.index("## CER (%) — main metric") < md.index(picture) < md.index("## WER (%)")
    assert "errors_wer" not in md
