"""A number over a system's runs: its mean, and with several runs the sample spread; the relative reduction."""
import pytest

from ctc_kd.results.stats import Stats, gap_recovered, relative_reduction


def test_one_run_is_its_value_and_several_add_the_spread():
    assert Stats([9.0]).text() == "9.00" and Stats([9.0]).std is None
    assert Stats([0.1, 0.2]).text(100.0, 1) == "15.0 ± 7.1 [10.0–20.0]"
    assert Stats([]).to_dict() == {"values": [], "n": 0, "mean": None, "std": None, "min": None, "max": None}


def test_relative_reduction_is_positive_for_fewer_errors():
    assert relative_reduction(10.0, 8.0) == pytest.approx(20.0)
    assert relative_reduction(10.0, 11.0) == pytest.approx(-10.0)


def test_gap_recovered_is_the_share_of_what_the_teacher_knows_more():
    assert gap_recovered(30.0, 20.0, 25.0) == 50.0  # half of the 10 points between student alone and teacher
    assert gap_recovered(30.0, 20.0, 20.0) == 100.0 and gap_recovered(30.0, 20.0, 30.0) == 0.0
    assert gap_recovered(30.0, 20.0, 32.0) == -20.0  # worse than the student alone
    assert gap_recovered(30.0, 20.0, 18.0) == 120.0  # better than the teacher
