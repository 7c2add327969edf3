"""ctc_kd.bin.weight_sweep: synthetic sweeps at KD weights 0.3, 1 and 3, the run each system takes and why."""
import json
import logging

import pytest
from exp_trees import make_run

from ctc_kd.bin.weight_sweep import main


def sweep_run(exp, name, weights, scores=None, blank=0.6, model="kd_student", del_ins=(0.0, 0.0), kd_ctc=None,
              **kwargs):
    """exp/<name> with model_conf.kd_terms at the given weights ({term: weight}), dev's blank share recorded, its
    CER's deletions and insertions (None: a score.json without them) and its last epoch's KD and CTC losses (None:
    train.log's default, CTC only)."""
    terms = {term: {"weight": w} for term, w in weights.items()}
    extra = {"skd_layer": 3} if model == "self_kd" else {}
    d = make_run(exp, name, model=model, model_conf={"kd_terms": terms, **extra}, scores=scores, **kwargs)
    info = d / "decode_greedy" / "dev" / "decode_info.json"
    if info.is_file() and blank is not None:
        info.write_text(json.dumps({**json.loads(info.read_text()), "blank_ratio": blank}))
    if kd_ctc is not None:
        log = d / "train.log"
        lines = log.read_text().splitlines()
        last = max(i for i, line in enumerate(lines) if "epoch results: [train]" in line)
        lines[last] = lines[last].replace("loss_ctc=82.024,", f"loss_ctc={kd_ctc[1]}, loss_kd={kd_ctc[0]},", 1)
        log.write_text("\n".join(lines) + "\n")
    score = d / "decode_greedy" / "dev" / "score_cer" / "score.json"
    if score.is_file():
        fields = {key: value for key, value in json.loads(score.read_text()).items() if key not in ("del", "ins")}
        score.write_text(json.dumps({**fields, **(dict(zip(("del", "ins"), del_ins)) if del_ins else {})}))
    return d


def rows(md):
    """The table's rows: {run folder: {column: cell}} (bold marks kept)."""
    lines = [line for line in md.splitlines() if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    out = {}
    for line in lines[2:]:
        cells = dict(zip(head, [c.strip() for c in line.strip("|").split("|")]))
        out[cells["Run"].strip("*")] = cells
    return out


def footnote(md, cell):
    """The text of the (first) footnote a cell like 'n/a[^3]' refers to."""
    number = cell.split("[^", 1)[1].split("]", 1)[0]
    return md.split(f"\n[^{number}]: ", 1)[1].split("\n", 1)[0]


def chosen(md):
    """{system: the run folder marked chosen}."""
    return {cells["System"].strip("*"): run for run, cells in rows(md).items() if "chosen" in cells["Chosen"]}


@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    """An exp folder with five sweeps (and runs that must not count) in the formats the recipe leaves."""
    exp = tmp_path_factory.mktemp("recipe") / "exp"
    # plain case: weight 1 has the lowest dev CER
    sweep_run(exp, "student_sfmx_kd_w0p3_seed1", {"sfmx_kd": 0.3}, {"dev": (12.0, 30.0)}, blank=0.55)
    sweep_run(exp, "student_sfmx_kd_seed1", {"sfmx_kd": 1.0}, {"dev": (10.0, 28.0)}, blank=0.61, del_ins=(3.54, 1.26),
              kd_ctc=(70.0, 28.0))
    sweep_run(exp, "student_sfmx_kd_w3_seed1", {"sfmx_kd": 3.0}, {"dev": (11.0, 27.0)}, blank=0.7, del_ins=None)
    # a tie on CER goes to the lower WER; the config of w3 is missing
    sweep_run(exp, "student_guide_ctc_w0p3_seed1", {"guide_ctc": 0.3}, {"dev": (10.0, 27.0)})
    sweep_run(exp, "student_guide_ctc_seed1", {"guide_ctc": 1.0}, {"dev": (10.0, 29.0)})
    d = sweep_run(exp, "student_guide_ctc_w3_seed1", {"guide_ctc": 3.0}, {"dev": (12.0, 31.0)})
    (d / "config.yaml").unlink()
    # a tie on CER and WER goes to the weight closest to 1 (0.3: |0.3 - 1| < |3 - 1|); one run lacks blank_ratio
    sweep_run(exp, "student_blank_elim_kd_w3_seed1", {"sfmx_kd": 3.0}, {"dev": (10.0, 28.0)})
    sweep_run(exp, "student_blank_elim_kd_seed1", {"sfmx_kd": 1.0}, {"dev": (11.0, 26.0)}, blank=None)
    sweep_run(exp, "student_blank_elim_kd_w0p3_seed1", {"sfmx_kd": 0.3}, {"dev": (10.0, 28.0)})
    # SKD: the folder says w3 but its config says 0.5; w0p3 is still training (no score): a provisional choice
    sweep_run(exp, "student_skd_seed1", {"sfmx_kd": 1.0}, {"dev": (9.0, 25.0)}, model="self_kd")
    sweep_run(exp, "student_skd_w3_seed1", {"sfmx_kd": 0.5}, {"dev": (8.5, 26.0)}, model="self_kd")
    sweep_run(exp, "student_skd_w0p3_seed1", {"sfmx_kd": 0.3}, model="self_kd",
              epochs=[("1 minute", "1 second")] * 3, finished=None, done=False)
    sweep_run(exp, "student_skd_blank_masked_seed1", {"sfmx_kd": 1.0}, {"dev": (1.0, 1.0)}, model="self_kd")
    # FPKD without _seed suffix (a recipe's single seed), mixed weights; w0p3 has both: the seed-1 folder counts
    sweep_run(exp, "student_fpkd", {"binary_kd": 1.0, "repr_kd": 0.5, "fkl": 1.0}, {"dev": (9.5, 24.0)})
    sweep_run(exp, "student_fpkd_w3", {"binary_kd": 3.0, "repr_kd": 3.0, "fkl": 3.0}, {"dev": (9.8, 25.0)})
    sweep_run(exp, "student_fpkd_w0p3", {"binary_kd": 0.3}, {"dev": (1.0, 1.0)})
    sweep_run(exp, "student_fpkd_w0p3_seed1", {"binary_kd": 0.3, "repr_kd": 0.3, "fkl": 0.3}, {"dev": (9.9, 24.0)})
    sweep_run(exp, "student_fpkd_w0p3_seed2", {"binary_kd": 0.3, "repr_kd": 0.3, "fkl": 0.3}, {"dev": (1.0, 1.0)})
    return exp


SYSTEMS = "student_sfmx_kd student_guide_ctc student_blank_elim_kd student_skd student_fpkd student_never_trained"


@pytest.fixture(scope="module")
def produced(exp):
    """Run the tool once on the whole exp folder: (Markdown, JSON)."""
    out = exp.parent / "tuning"
    assert main(["--exp_dir", str(exp), "--systems", SYSTEMS, "--out", str(out / "sweep.md"),
                 "--json", str(out / "sweep.json")]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["sweep.json", "sweep.md"]  # no partial file left behind
    return (out / "sweep.md").read_text(), json.loads((out / "sweep.json").read_text())


def test_the_chosen_run_of_each_system(produced):
    md, _ = produced
    assert chosen(md) == {
        "student_sfmx_kd": "student_sfmx_kd_seed1",  # the lowest CER
        "student_guide_ctc": "student_guide_ctc_w0p3_seed1",  # CER tied with weight 1: the lower WER
        "student_blank_elim_kd": "student_blank_elim_kd_w0p3_seed1",  # CER and WER tied with 3: closer to 1
        "student_skd": "student_skd_w3_seed1",
        "student_fpkd": "student_fpkd",
    }


def test_candidates_and_row_order(produced):
    md, _ = produced
    runs = list(rows(md))
    assert runs[:3] == ["student_sfmx_kd_w0p3_seed1", "student_sfmx_kd_seed1", "student_sfmx_kd_w3_seed1"]
    # by the weight read from config.yaml (0.3, 0.5, 1), not the folder name; another system's prefix does not count
    assert [r for r in runs if r.startswith("student_skd")] == [
        "student_skd_w0p3_seed1", "student_skd_w3_seed1", "student_skd_seed1"]
    # exp/S without seed suffix accepted; the seed-1 folder preferred over the unseeded one; seed 2 left out
    assert [r for r in runs if r.startswith("student_fpkd")] == ["student_fpkd_w0p3_seed1", "student_fpkd",
                                                                 "student_fpkd_w3"]


def test_the_chosen_row_is_bold_with_its_numbers(produced, exp):
    md, _ = produced
    row = rows(md)["student_sfmx_kd_seed1"]
    assert row == {"System": "**student_sfmx_kd**", "Run": "**student_sfmx_kd_seed1**", "KD weight": "**1**",
                   "dev CER (%)": "**10.00**", "dev WER (%)": "**28.00**", "dev blank (%)": "**61.0**",
                   "dev CER del / ins (%)": "**3.5 / 1.3**", "KD / CTC": "**2.50**", "Epochs": "**1**",
                   "Status": "**done**", "Chosen": "**chosen**"}
    other = rows(md)["student_sfmx_kd_w3_seed1"]
    assert other["KD weight"] == "3" and other["dev blank (%)"] == "70.0" and other["Chosen"] == "—"
    assert footnote(md, other["dev CER del / ins (%)"]) == (
        f"`{exp / 'student_sfmx_kd_w3_seed1' / 'decode_greedy' / 'dev' / 'score_cer' / 'score.json'}` has no "
        "numbers 'del' and 'ins'")
    assert footnote(md, other["KD / CTC"]) == (
        f"`{exp / 'student_sfmx_kd_w3_seed1' / 'train.log'}` has no finished epoch with a KD and a CTC loss")
    assert md.splitlines()[0] == ("| System | Run | KD weight | dev CER (%) | dev WER (%) | dev blank (%) | "
                                  "dev CER del / ins (%) | KD / CTC | Epochs | Status | Chosen |")


def test_weights_come_from_config_yaml(produced):
    md, _ = produced
    table = rows(md)
    assert table["student_skd_w3_seed1"]["KD weight"] == "**0.5**"  # the folder says 3
    assert table["student_fpkd"]["KD weight"] == "**binary_kd 1, repr_kd 0.5, fkl 1**"  # mixed: per term
    assert table["student_fpkd_w3"]["KD weight"] == "3"  # all terms alike: one number
    cell = table["student_guide_ctc_w3_seed1"]["KD weight"]
    assert cell.startswith("n/a[^")
    assert "student_guide_ctc_w3_seed1/config.yaml` is missing" in footnote(md, cell)


def test_a_run_without_a_score_makes_the_choice_provisional(produced):
    md, data = produced
    table = rows(md)
    assert table["student_skd_w3_seed1"]["Chosen"] == "**chosen** (provisional: 2 of 3 runs scored)"
    training = table["student_skd_w0p3_seed1"]
    assert training["Status"].startswith("training[^") and training["Epochs"] == "3 of 25"
    assert training["dev CER (%)"].startswith("n/a[^")
    note = footnote(md, training["Status"])
    assert "training not finished (3 of 25 epochs" in note and "score_cer/score.json` is missing" in note
    assert table["student_sfmx_kd_seed1"]["Chosen"] == "**chosen**"  # all three scored: final
    assert data["student_skd"]["provisional"] is True and data["student_sfmx_kd"]["provisional"] is False


def test_missing_pieces_are_footnoted(produced):
    md, _ = produced
    table = rows(md)
    cell = table["student_blank_elim_kd_seed1"]["dev blank (%)"]
    assert cell.startswith("n/a[^") and "decode_info.json` has no number 'blank_ratio'" in footnote(md, cell)
    never = [cells for cells in table.values() if cells["System"] == "student_never_trained"]
    assert len(never) == 1 and never[0]["Status"] == "not trained"
    assert "has no student_never_trained_seed1, student_never_trained or" in footnote(md, never[0]["Run"])


def test_rule_and_command_under_the_table(produced, exp):
    md, _ = produced
    assert ("Chosen per system: the lowest dev CER among the finished, scored runs; a tie goes to the lower dev WER, "
            "then to the KD weight closest to 1") in md
    assert f"Made by: `python -m ctc_kd.bin.weight_sweep --exp_dir {exp} --systems '{SYSTEMS}' --out " in md


def test_json(produced):
    _, data = produced
    assert list(data) == SYSTEMS.split()
    sfmx = data["student_sfmx_kd"]
    assert sfmx["chosen"] == "student_sfmx_kd_seed1" and sfmx["provisional"] is False
    assert sfmx["runs"][0] == {
        "run": "student_sfmx_kd_w0p3_seed1", "weights": {"sfmx_kd": 0.3}, "weight": "0.3", "cer": 12.0, "wer": 30.0,
        "deletions": 0.0, "insertions": 0.0, "blank_ratio": 0.55, "kd_over_ctc": None, "epochs": 1, "status": "done",
        "missing": {}}
    assert sfmx["runs"][1]["kd_over_ctc"] == pytest.approx(2.5)
    assert (sfmx["runs"][1]["deletions"], sfmx["runs"][1]["insertions"]) == (3.54, 1.26)
    assert (sfmx["runs"][2]["deletions"], sfmx["runs"][2]["insertions"]) == (None, None)
    fpkd = {r["run"]: r for r in data["student_fpkd"]["runs"]}
    assert fpkd["student_fpkd"]["weights"] == {"binary_kd": 1.0, "repr_kd": 0.5, "fkl": 1.0}
    skd = {r["run"]: r for r in data["student_skd"]["runs"]}
    assert skd["student_skd_w0p3_seed1"]["status"] == "training" and skd["student_skd_w0p3_seed1"]["cer"] is None
    assert data["student_skd"]["why_provisional"] == "provisional: 2 of 3 runs scored"
    assert data["student_guide_ctc"]["runs"][-1]["weights"] is None
    assert data["student_never_trained"] == {**data["student_never_trained"], "chosen": None, "runs": []}


@pytest.mark.parametrize("weights, expected", [
    ((0.3, 1.0, 3.0), "student_sfmx_kd_seed1"),
    # the configs disagree with the folder names, so that the folder name (the last tie-break) would pick another
    ((0.3, 3.0, 1.0), "student_sfmx_kd_w3_seed1"),
    ((3.0, 5.0, 0.3), "student_sfmx_kd_w3_seed1"),  # |0.3 - 1| < |3 - 1|
])
def test_a_tie_on_both_metrics_goes_to_the_weight_closest_to_1(tmp_path, capsys, weights, expected):
    exp = tmp_path / "exp"
    for name, w in zip(("student_sfmx_kd_w0p3_seed1", "student_sfmx_kd_seed1", "student_sfmx_kd_w3_seed1"), weights):
        sweep_run(exp, name, {"sfmx_kd": w}, {"dev": (10.0, 28.0)})
    assert main(["--exp_dir", str(exp), "--systems", "student_sfmx_kd"]) == 0
    md = capsys.readouterr().out  # no --out: printed
    assert chosen(md) == {"student_sfmx_kd": expected}


def test_a_finished_run_without_a_score_is_not_decoded_and_wer_can_lead(tmp_path, capsys):
    exp = tmp_path / "exp"
    sweep_run(exp, "student_guide_ctc_seed1", {"guide_ctc": 1.0}, {"dev": (10.0, 28.0)})
    sweep_run(exp, "student_guide_ctc_w3_seed1", {"guide_ctc": 3.0}, {"dev": (11.0, 25.0)})
    sweep_run(exp, "student_guide_ctc_w0p3_seed1", {"guide_ctc": 0.3})
    assert main(["--exp_dir", str(exp), "--systems", "student_guide_ctc", "--metric", "wer"]) == 0
    md = capsys.readouterr().out
    table = rows(md)
    assert list(table["student_guide_ctc_w3_seed1"])[3:5] == ["dev WER (%)", "dev CER (%)"]
    assert table["student_guide_ctc_w0p3_seed1"]["Status"].startswith("not decoded[^")
    assert table["student_guide_ctc_w3_seed1"]["Chosen"] == "**chosen** (provisional: 2 of 3 runs scored)"


def test_a_single_run_is_a_provisional_choice(tmp_path, capsys):
    exp = tmp_path / "exp"
    sweep_run(exp, "student_sfmx_kd_seed1", {"sfmx_kd": 1.0}, {"dev": (10.0, 28.0)})
    assert main(["--exp_dir", str(exp), "--systems", "student_sfmx_kd"]) == 0
    assert rows(capsys.readouterr().out)["student_sfmx_kd_seed1"]["Chosen"] == (
        "**chosen** (provisional: no finished run at weight 0.3, 3 yet)")
    assert main(["--exp_dir", str(exp), "--systems", "student_sfmx_kd", "--weights"]) == 0
    assert rows(capsys.readouterr().out)["student_sfmx_kd_seed1"]["Chosen"] == (
        "**chosen** (provisional: 1 of 1 runs scored, no other weight's run found)")


def test_a_planned_weight_not_yet_started_keeps_the_choice_provisional(tmp_path, capsys):
    exp = tmp_path / "exp"
    sweep_run(exp, "student_fpkd_seed1", {"binary_kd": 1.0, "repr_kd": 1.0, "fkl": 1.0}, {"dev": (41.0, 75.6)})
    sweep_run(exp, "student_fpkd_w0p3_seed1", {"binary_kd": 0.3, "repr_kd": 0.3, "fkl": 0.3}, {"dev": (40.1, 74.2)})
    assert main(["--exp_dir", str(exp), "--systems", "student_fpkd", "--json", str(tmp_path / "sweep.json")]) == 0
    assert rows(capsys.readouterr().out)["student_fpkd_w0p3_seed1"]["Chosen"] == (
        "**chosen** (provisional: no finished run at weight 3 yet)")
    assert json.loads((tmp_path / "sweep.json").read_text())["student_fpkd"]["provisional"] is True
    assert main(["--exp_dir", str(exp), "--systems", "student_fpkd", "--weights", "0.3", "1"]) == 0
    assert rows(capsys.readouterr().out)["student_fpkd_w0p3_seed1"]["Chosen"] == "**chosen**"


def test_a_missing_exp_dir_is_an_error(tmp_path, caplog):
    with caplog.at_level(logging.ERROR):
        assert main(["--exp_dir", str(tmp_path / "nowhere"), "--systems", "student_fpkd"]) == 1
    assert f"--exp_dir {tmp_path / 'nowhere'} is not a directory" in caplog.text


def test_no_run_of_any_system_is_an_error(tmp_path, caplog):
    (tmp_path / "exp" / "teacher").mkdir(parents=True)
    out = tmp_path / "sweep.md"
    with caplog.at_level(logging.ERROR):
        assert main(["--exp_dir", str(tmp_path / "exp"), "--systems", "student_fpkd student_skd",
                     "--out", str(out)]) == 1
    assert "has no run of any of --systems" in caplog.text and "student_fpkd_seed1" in caplog.text
    assert not out.exists()


def test_a_run_name_in_systems_is_an_error(tmp_path, caplog):
    (tmp_path / "exp").mkdir()
    with caplog.at_level(logging.ERROR):
        assert main(["--exp_dir", str(tmp_path / "exp"), "--systems", "student_fpkd_seed1"]) == 1
    assert "drop the _seed<k> and give the seed with --seed" in caplog.text


def test_the_plot_gets_each_finished_run_the_choice_and_the_references(exp, tmp_path, monkeypatch):
    import ctc_kd.analysis.sweep_plot as sweep_plot

    drawn = {}
    real = sweep_plot.plot_weight_sweep

    def spy(points, chosen, references, path, ylabel, title):
        drawn.update(points=points, chosen=chosen, references=references, ylabel=ylabel)
        return real(points, chosen, references, path, ylabel, title)

    monkeypatch.setattr(sweep_plot, "plot_weight_sweep", spy)
    png = tmp_path / "sweep.png"
    assert main(["--exp_dir", str(exp), "--systems", "student_sfmx_kd student_skd student_fpkd", "--plot", str(png),
                 "--reference", "student_skd_blank_masked_seed1", "--weights"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn["points"]["student_sfmx_kd"] == [(0.3, 12.0), (1.0, 10.0), (3.0, 11.0)]
    assert drawn["points"]["student_skd"] == [(0.5, 8.5), (1.0, 9.0)]  # the run still training is not a point
    assert drawn["points"]["student_fpkd"] == [(0.3, 9.9), (1.0, 9.5), (3.0, 9.8)]  # mixed weights: the largest
    assert drawn["chosen"] == {"student_sfmx_kd": 1.0, "student_skd": 0.5, "student_fpkd": 1.0}
    assert drawn["references"] == {"student_skd_blank_masked_seed1": 1.0} and drawn["ylabel"] == "dev CER (%)"


def test_a_reference_without_a_score_is_an_error(exp, tmp_path, caplog):
    png = tmp_path / "sweep.png"
    with caplog.at_level(logging.ERROR):
        assert main(["--exp_dir", str(exp), "--systems", "student_sfmx_kd", "--plot", str(png),
                     "--reference", "../teacher"]) == 1
    assert "--reference ../teacher:" in caplog.text and "does not exist" in caplog.text
    with caplog.at_level(logging.ERROR):
        assert main(["--exp_dir", str(exp), "--systems", "student_sfmx_kd", "--plot", str(png),
                     "--reference", "student_skd_w0p3_seed1"]) == 1
    assert "score_cer/score.json is missing or unreadable: decode and score that run on dev first" in caplog.text
    out = tmp_path / "sweep.md"
    assert main(["--exp_dir", str(exp), "--systems", "student_sfmx_kd", "--plot", str(png), "--out", str(out),
                 "--reference", "../teacher"]) == 1
    assert not png.exists() and not out.exists()  # a bad reference stops the command before it writes anything
