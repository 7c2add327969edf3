"""ctc_kd.data.datadir: exact reading/writing of Kaldi-style files."""
import os

import pytest

from ctc_kd.data.datadir import (
    DataDir,
    DataDirError,
    parse_segments,
    read_kv,
    restrict,
    spk2utt_to_utt2spk,
    utt2spk_to_spk2utt,
    write_kv,
)


def test_read_kv_keeps_rest_of_line(tmp_path):
    p = tmp_path / "text"
    p.write_text("u1 hello  world \nu2\tTAB separated\nu3\n", encoding="utf-8")
    assert read_kv(p) == {"u1": "hello  world", "u2": "TAB separated", "u3": ""}
    assert list(read_kv(p)) == ["u1", "u2", "u3"]


def test_read_kv_duplicate_names_file_and_lines(tmp_path):
    p = tmp_path / "utt2spk"
    p.write_text("a s\nb s\na t\n", encoding="utf-8")
    with pytest.raises(DataDirError, match=rf"{p}:3: duplicate id 'a' \(first at line 1\)"):
        read_kv(p)


def test_read_kv_blank_line_and_missing_file(tmp_path):
    p = tmp_path / "text"
    p.write_text("a x\n\nb y\n", encoding="utf-8")
    with pytest.raises(DataDirError, match=rf"{p}:2: empty line"):
        read_kv(p)
    with pytest.raises(DataDirError, match="file not found"):
        read_kv(tmp_path / "nope")


def test_write_kv_sorts_in_byte_order_atomically(tmp_path):
    p = tmp_path / "text"
    write_kv(p, {"b": "2", "B": "1", "a_1": "x y", "a-1": "", "é": "e", "a": ["l", "m"]})
    assert p.read_text(encoding="utf-8") == "B 1\na l m\na-1\na_1 x y\nb 2\né e\n"
    assert sorted(os.listdir(tmp_path)) == ["text"]  # no temp file left


def test_write_kv_failure_keeps_old_file(tmp_path):
    p = tmp_path / "text"
    p.write_text("old 1\n", encoding="utf-8")

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_kv(p, {"a": "1", "b": Boom()})
    assert p.read_text(encoding="utf-8") == "old 1\n"
    assert sorted(os.listdir(tmp_path)) == ["text"]


def test_spk2utt_round_trip():
    utt2spk = {"s2-b": "s2", "s1-a": "s1", "s1-c": "s1"}
    spk2utt = utt2spk_to_spk2utt(utt2spk)
    assert spk2utt == {"s1": ["s1-a", "s1-c"], "s2": ["s2-b"]}
    assert spk2utt_to_utt2spk(spk2utt) == utt2spk
    assert spk2utt_to_utt2spk({"s1": "s1-a s1-c"}) == {"s1-a": "s1", "s1-c": "s1"}
    with pytest.raises(DataDirError, match="listed under speakers 's1' and 's2'"):
        spk2utt_to_utt2spk({"s1": "x", "s2": "x"})


def test_parse_segments():
    assert parse_segments({"u": "rec 0.5 1.25"}) == {"u": ("rec", 0.5, 1.25)}
    with pytest.raises(DataDirError, match="0 <= start < end"):
        parse_segments({"u": "rec 2 1"})
    with pytest.raises(DataDirError, match="non-numeric"):
        parse_segments({"u": "rec a 1"})


def test_datadir_write_all_and_restrict(tmp_path):
    d = DataDir(tmp_path / "d")
    maps = {
        "wav.scp": {"r1": "/a.wav", "r2": "/b.wav"},
        "segments": {"s-1": "r1 0 1", "s-2": "r2 0 1", "s-3": "r2 1 2"},
        "text": {"s-1": "a", "s-2": "b", "s-3": "c"},
        "utt2spk": {"s-1": "s", "s-2": "s", "s-3": "s"},
    }
    d.write_all(maps)
    assert d.spk2utt.read_text() == "s s-1 s-2 s-3\n"
    assert d.read_all() == maps
    sub = restrict(maps, ["s-2"])
    assert sub["wav.scp"] == {"r2": "/b.wav"} and sub["text"] == {"s-2": "b"}
    # A stale file from an earlier run disappears when the new maps lack it.
    d.write_all(sub)
    d.write_all({k: v for k, v in sub.items() if k != "segments"})
    assert not d.segments.exists() and d.utt2spk.read_text() == "s-2 s\n"
