"""The benchmark commands run and their report renders every figure (a smoke test: no timing is asserted)."""
import json

import pytest

from bench import losses, report

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
