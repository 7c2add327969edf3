"""The benchmark commands run and their report renders every figure (a smoke test: no timing is asserted)."""
import json

import pytest

from bench import grad_share, losses, report

pytestmark = pytest.mark.slow


def test_losses_benchmark_and_report(tmp_path):
    results = tmp_path / "results"
    losses.main(["--repeats", "1", "--vocab", "31", "--out", str(results / "losses.json"), "--workdir",
                 str(tmp_path / "work")])
    record = json.loads((results / "losses.json").read_text())
    ratios = record["figures"]["vocab_31"]["ratio_to_ctc"]
    assert set(ratios) >= {"sfmx_kd", "guide_ctc", "binary_kd", "fkl_A", "fkl_B", "repr_kd", "skd_kl"}
    assert all(value > 0 for value in ratios.values())
    assert record["command"].startswith("python -m bench.losses")
    report.main(["--results", str(results), "--out", str(tmp_path / "BENCHMARKS.md")])
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert "## The loss functions against the CTC loss" in text and "| fkl_B |" in text
    assert "Command: `python -m bench.losses" in text


def test_grad_share_benchmark_and_report(tmp_path, corpora, monkeypatch):
    """One batch: the utterance scale is the frame scale times that batch's valid frames per utterance, exactly."""
    monkeypatch.setenv("CATHY", str(corpora))  # the recordings committed with the tests, not the full corpus
    results = tmp_path / "results"
    grad_share.main(["--batches", "1", "--batch_size", "2", "--stats_utterances", "4", "--out",
                     str(results / "grad_share.json"), "--workdir", str(tmp_path / "work")])
    figures = json.loads((results / "grad_share.json").read_text())["figures"]
    (frames,) = figures["frames_per_utterance"]
    assert set(figures["frame"]) >= {"sfmx_kd", "guide_ctc", "binary_kd", "repr_kd", "fkl", "fkl, variant B"}
    for term, share in figures["frame"].items():
        assert 0 < share["mean"] == share["min"] == share["max"]
        assert figures["utterance"][term]["mean"] == pytest.approx(share["mean"] * frames, rel=1e-6)
    report.main(["--results", str(results), "--out", str(tmp_path / "BENCHMARKS.md")])
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert "## Gradient share of each KD term against CTC at the student's initialisation" in text
    assert "| fkl, variant B |" in text and "Command: `python -m bench.grad_share" in text


def test_startup_report_renders_every_process(tmp_path):
    from bench import startup

    results = tmp_path / "results"
    results.mkdir()
    seconds = {name: {"median_s": 1.0 + i, "min_s": 0.5 + i, "max_s": 2.0 + i, "repeats": 3}
               for i, name in enumerate(startup.systems())}
    record = {"benchmark": "startup", "command": "python -m bench.startup", "date": "2026-12-06", "device": "cpu",
              "threads": 2, "machine": {"cpu": "test cpu", "cores": 2, "torch": "2.9.1", "python": "3.11.7"},
              "figures": {"seconds": seconds, "uses_espnet": {f"ctc_kd.{t}": u for t, u in startup.TOOLS.items()},
                          "deferred_over_undeferred": 0.8125, "torch_share_of_espnet_startup": 0.5}}
    (results / "startup.json").write_text(json.dumps(record))
    report.main(["--results", str(results), "--out", str(tmp_path / "BENCHMARKS.md")])
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert "## Start-up of each tool the stage script runs" in text
    assert "| empty interpreter |  | 1.00 [0.50-2.00] |" in text
    assert "| ctc_kd.bin.asr_kd_train | yes | " in text and "| ctc_kd.bin.score | no | " in text
    assert "task to **0.81** of its import time; torch alone is 0.50 of what remains" in text
