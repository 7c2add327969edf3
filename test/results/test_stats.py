"""A number over a system's runs: its mean, and with several runs the sample spread; the relative reduction."""
import pytest

from ctc_kd.results.stats import Stats, relative_reduction


def test_one_run_is_its_value_and_several_add_the_spread():
    assert Stats([9.0]).text() == "9.00" and Stats([9.0]).std is None
    assert Stats([0.1, 0.2]).text(100.0, 1) == "15.0 ± 7.1 [10.0–20.0]"
    assert Stats([]).to_dict() == {"values": [], "n": 0, "mean": None, "std": None, "min": None, "max": None}


def test_relative_reduction_is_positive_for_fewer_errors():
    assert relative_reduction(10.0, 8.0) == pytest.approx(20.0)
    assert relative_reduction(10.0, 11.0) == pytest.approx(-10.0)
