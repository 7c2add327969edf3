"""A decoding's outputs: hypotheses sorted by utterance, decode_info.json, and an unwritable folder refused first."""
import json
import os

import pytest

from ctc_kd.decoding.outputs import check_writable, write_outputs


def test_hypotheses_sorted_and_the_info_last(tmp_path):
    write_outputs(tmp_path, {"b": ("NO", ["N", "O"], [3, 4]), "a": ("", [], [])}, {"decoder": "greedy"})
    assert (tmp_path / "text").read_text() == "a\nb NO\n"
    assert (tmp_path / "token_int").read_text() == "a\nb 3 4\n"
    assert json.loads((tmp_path / "decode_info.json").read_text()) == {"decoder": "greedy"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    (tmp_path / "ro").mkdir(mode=0o555)
    with pytest.raises(OSError, match="is not writable"):
        check_writable(tmp_path / "ro" / "decode_greedy" / "test")


def test_a_file_in_the_way_is_refused_and_nothing_is_created(tmp_path):
    (tmp_path / "exp").write_text("a file")
    with pytest.raises(OSError, match=f"cannot write the decoding into .*: {tmp_path / 'exp'} is not a folder"):
        check_writable(tmp_path / "exp" / "decode_greedy" / "test")
    check_writable(tmp_path / "new" / "decode_greedy")
    assert not (tmp_path / "new").exists()
