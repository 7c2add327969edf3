"""Spike offsets, misses and exact shares on hand-made posteriors, each worked out by hand in the comments."""
import numpy as np
import pytest
import torch

from ctc_kd.analysis.spike_timing import NO_OFFSET, AlignmentTotals, spike_offsets, spikes

V = 6  # blank 0, tokens 1..5


def posteriors(labels, vocab=V):
    """Log-posteriors whose argmax per frame is the given label (the rest share the remaining mass)."""
    probs = np.full((len(labels), vocab), 0.1 / (vocab - 1))
    probs[np.arange(len(labels)), labels] = 0.9
    return np.log(probs)


def offsets_of(teacher, student, **kwargs):
    r = spike_offsets(posteriors(teacher), posteriors(student), **kwargs)
    return [o if m else None for o, m in zip(r.offsets.tolist(), r.matched.tolist())]


def summary(pairs, **kwargs):
    totals = AlignmentTotals()
    for teacher, student in pairs:
        totals.add(spike_offsets(posteriors(teacher), posteriors(student), **kwargs), len(teacher))
    return totals.summary()


@pytest.mark.parametrize("labels,frames,tokens", [
    ([0, 1, 1, 1, 0, 0, 1, 0], [1, 6], [1, 1]),  # a run of three frames is one spike, at its first frame
    ([2, 3, 0], [0, 1], [2, 3]),                  # two tokens without a blank between: two spikes
    ([4, 4, 0, 4], [0, 3], [4, 4]),               # a blank between repeats: two spikes (CTC's double letter)
    ([0, 0, 0], [], []),
    ([], [], []),
])
def test_spikes_are_run_onsets(labels, frames, tokens):
    got_frames, got_tokens = spikes(posteriors(labels))
    assert got_frames.tolist() == frames and got_tokens.tolist() == tokens


def test_exact_match():
    #          teacher spikes: 1@1, 2@3; student the same
    assert offsets_of([0, 1, 0, 2, 0], [0, 1, 0, 2, 0]) == [0, 0]
    s = summary([([0, 1, 0, 2, 0], [0, 1, 0, 2, 0])])
    assert (s["teacher_spikes"], s["matched"], s["exact"], s["missed"]) == (2, 2, 2, 0)
    assert (s["mean_abs_offset"], s["exact_share"], s["miss_rate"]) == (0.0, 1.0, 0.0)
    assert s["histogram"] == {"0": 2}


def test_shifted_spikes():
    # teacher 1@1, 2@4, 3@6; student 1@2 (+1), 2@4 (0), 3@3 (-3)
    teacher, student = [0, 1, 0, 0, 2, 0, 3], [0, 0, 1, 3, 2, 0, 0]
    assert offsets_of(teacher, student) == [1, 0, -3]
    s = summary([(teacher, student)])
    assert s["mean_abs_offset"] == pytest.approx(4 / 3) and s["mean_offset"] == pytest.approx(-2 / 3)
    assert s["exact_share"] == pytest.approx(1 / 3) and s["miss_rate"] == 0.0
    assert (s["near"], s["near_share"], s["near_frames"]) == (2, pytest.approx(2 / 3), 1)  # +1 and 0, not -3
    assert s["histogram"] == {"-3": 1, "0": 1, "1": 1}


def test_missing_token_counts_in_the_rates_not_in_the_mean():
    # teacher 1@0, 2@2, 3@4; the student never emits 3
    teacher, student = [1, 0, 2, 0, 3], [0, 1, 2, 0, 0]
    assert offsets_of(teacher, student) == [1, 0, None]
    r = spike_offsets(posteriors(teacher), posteriors(student))
    assert r.offsets[2] == NO_OFFSET and not r.matched[2]
    s = summary([(teacher, student)])
    assert (s["teacher_spikes"], s["student_spikes"], s["matched"], s["missed"], s["exact"]) == (3, 2, 2, 1, 1)
    assert s["mean_abs_offset"] == 0.5  # (1 + 0) / 2 matched
    assert s["exact_share"] == pytest.approx(1 / 3) and s["miss_rate"] == pytest.approx(1 / 3)
    assert s["near_share"] == pytest.approx(2 / 3)  # a miss is never near


def test_different_tokens_never_match():
    # the student fires 2 exactly where the teacher fires 1: a miss, not an exact match
    assert offsets_of([0, 1, 0], [0, 2, 0]) == [None]
    s = summary([([0, 1, 0], [0, 2, 0])])
    assert s["miss_rate"] == 1.0 and s["exact_share"] == 0.0 and s["mean_abs_offset"] is None
    assert s["histogram"] == {}


def test_repeated_tokens_take_the_nearest_of_their_own_token():
    # teacher 1@0 (a 3-frame run), 1@5; student 1@1, 1@6, and a 2@0 that must be ignored
    assert offsets_of([1, 1, 1, 0, 0, 1, 0], [2, 1, 0, 0, 0, 0, 1]) == [1, 1]
    # a wide student run counts at its onset: teacher 1@3, student run 1@1..4 -> onset 1 -> offset -2
    assert offsets_of([0, 0, 0, 1, 0, 0], [0, 1, 1, 1, 1, 0]) == [-2]


def test_one_student_spike_may_serve_several_teacher_spikes():
    # teacher 1@0, 1@2; student only 1@1: both matched to it, offsets +1 and -1, no miss
    assert offsets_of([1, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 0]) == [1, -1]


def test_a_tie_goes_to_the_earlier_student_spike():
    # teacher 1@2; student 1@1 and 1@3 are both 1 frame away
    assert offsets_of([0, 0, 1, 0, 0], [0, 1, 0, 1, 0]) == [-1]
    # and the interleaved tokens of other ids change nothing
    assert offsets_of([0, 0, 1, 0, 0], [2, 1, 3, 1, 4]) == [-1]


def test_max_offset_turns_far_matches_into_misses():
    teacher, student = [1, 0, 0, 0, 2, 0], [0, 0, 0, 1, 0, 2]  # 1: +3, 2: +1
    assert offsets_of(teacher, student) == [3, 1]
    assert offsets_of(teacher, student, max_offset=2) == [None, 1]
    assert offsets_of(teacher, student, max_offset=0) == [None, None]
    with pytest.raises(ValueError, match="max_offset"):
        offsets_of(teacher, student, max_offset=-1)


def test_empty_utterances_and_no_spikes():
    assert offsets_of([], []) == []
    assert offsets_of([0, 0, 0], [1, 0, 2]) == []  # no teacher spike: nothing to match
    assert offsets_of([1, 0, 2], [0, 0, 0]) == [None, None]  # no student spike: every teacher spike missed
    s = summary([([], []), ([0, 0, 0], [1, 0, 2])])
    assert (s["utterances"], s["frames"], s["teacher_spikes"], s["student_spikes"]) == (2, 3, 0, 2)
    assert s["mean_abs_offset"] is None and s["exact_share"] is None and s["miss_rate"] is None
    assert s["near_share"] is None
    assert AlignmentTotals().summary()["mean_offset"] is None


def test_totals_over_utterances():
    s = summary([
        ([0, 1, 0, 2, 0], [0, 1, 0, 2, 0]),        # 0, 0
        ([0, 1, 0, 0, 2, 0, 3], [0, 0, 1, 3, 2, 0, 0]),  # +1, 0, -3
        ([1, 0, 2, 0, 3], [0, 1, 2, 0, 0]),        # +1, 0, miss
    ])
    assert (s["utterances"], s["frames"], s["teacher_spikes"], s["matched"], s["missed"], s["exact"]) == \
        (3, 17, 8, 7, 1, 4)
    assert s["mean_abs_offset"] == pytest.approx(5 / 7) and s["mean_offset"] == pytest.approx(-1 / 7)
    assert s["exact_share"] == 0.5 and s["miss_rate"] == 0.125
    assert s["near"] == 6 and s["near_share"] == 0.75  # 0, 0, +1, 0, +1, 0 of 8
    assert s["histogram"] == {"-3": 1, "0": 4, "1": 2}
    assert list(s["histogram"]) == ["-3", "0", "1"]  # numeric order


def test_totals_of_parts_merged_from_their_summaries_equal_the_whole():
    """Shards write their summaries (alignment.json); their counts and histograms add up to the whole set's numbers."""
    pairs = [([0, 1, 0, 2, 0], [0, 1, 0, 2, 0]), ([0, 1, 0, 0, 2, 0, 3], [0, 0, 1, 3, 2, 0, 0]),
             ([1, 0, 2, 0, 3], [0, 1, 2, 0, 0]), ([0, 0, 0], [0, 0, 0])]
    merged = AlignmentTotals()
    for part in (pairs[:1], pairs[1:3], pairs[3:]):
        merged.merge(AlignmentTotals.from_summary(summary(part)))
    assert merged.summary() == summary(pairs)


def test_torch_tensors_and_a_blank_id_other_than_zero():
    teacher = torch.from_numpy(posteriors([3, 1, 3, 2]))
    student = torch.from_numpy(posteriors([1, 3, 3, 2]))
    # blank 3: teacher 1@1, 2@3; student 1@0, 2@3
    r = spike_offsets(teacher, student, blank=3)
    assert r.frames.tolist() == [1, 3] and r.offsets.tolist() == [-1, 0]


def test_different_shapes_are_an_error():
    with pytest.raises(ValueError, match="frame rate"):
        spike_offsets(posteriors([0, 1, 0]), posteriors([0, 1]))
    with pytest.raises(ValueError, match="token list"):
        spike_offsets(posteriors([0, 1]), posteriors([0, 1], vocab=V + 1))
    with pytest.raises(ValueError, match="frames, vocabulary"):
        spikes(np.zeros(4))


def test_long_random_sequences_agree_with_a_brute_force_search():
    rng = np.random.default_rng(0)
    for _ in range(20):
        t_labels, s_labels = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
        got = offsets_of(t_labels, s_labels)
        t_frames, t_tokens = spikes(posteriors(t_labels))
        s_frames, s_tokens = spikes(posteriors(s_labels))
        expected = []
        for f, k in zip(t_frames, t_tokens):
            candidates = sorted((abs(s - f), s - f) for s in s_frames[s_tokens == k])  # ties: negative first
            expected.append(candidates[0][1] if candidates else None)
        assert got == expected
