"""The cache's ESPnet data names: every one a batch may carry is declared, up to the deepest block a teacher may have."""
from ctc_kd.cache.format import MAX_CACHED_BLOCK, data_names


def test_data_names_are_posteriors_output_and_blocks_1_to_64():
    names = data_names()
    assert MAX_CACHED_BLOCK == 64
    assert len(names) == 2 + 64 == len(set(names))
    assert names[:3] == ("teacher_posteriors", "teacher_hidden_out", "teacher_hidden_1")
    assert names[-1] == "teacher_hidden_64"
