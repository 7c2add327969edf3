"""The alignment: empty sides, and as many errors as the edit distance on random pairs, every token kept in order."""
import random

import editdistance

from ctc_kd.scoring.edit_alignment import align


def test_empty_sides():
    assert align([], ["x", "y"]) == [("I", None, "x"), ("I", None, "y")]
    assert align(["x"], []) == [("D", "x", None)]


def test_errors_equal_edit_distance():
    rng = random.Random(0)
    for _ in range(500):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 15))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 15))]
        ops = align(a, b)
        assert sum(o != "C" for o, _, _ in ops) == editdistance.eval(a, b)
        assert [r for _, r, _ in ops if r is not None] == a and [h for _, _, h in ops if h is not None] == b
