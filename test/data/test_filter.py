"""ctc_kd.data.filter: exact counts of what is kept and why the rest is dropped."""
import logging

from ctc_kd.data.datadir import read_kv
from ctc_kd.data.filter import filter_data_dir, main
from ctc_kd.data.format_audio import format_audio


def _dir(write_dir, tmp_path):
    # 16 kHz lengths: 0.05 s, 0.1 s, 1 s, 20 s, 20.5 s, 2 s (empty text), 3 s (6 words)
    return write_dir(tmp_path / "d", {
        "wav.scp": [f"s-{i} /nowhere/{i}.flac" for i in range(7)],
        "text": ["s-0 a", "s-1 b", "s-2 c d", "s-3 e", "s-4 f", "s-5", "s-6 one two three four five six"],
        "utt2spk": [f"s-{i} s" for i in range(7)],
        "spk2utt": ["s " + " ".join(f"s-{i}" for i in range(7))],
        "utt2num_samples": ["s-0 800", "s-1 1600", "s-2 16000", "s-3 320000", "s-4 328000", "s-5 32000",
                            "s-6 48000"],
    })


def test_counts(write_dir, tmp_path, caplog):
    d = _dir(write_dir, tmp_path)
    with caplog.at_level(logging.INFO):
        assert main(["--fs", "16000", "--min_sec", "0.1", "--max_sec", "20", str(d), str(tmp_path / "o")]) == 0
    assert "kept 4 of 7; dropped 1 too short, 1 too long, 1 empty text" in caplog.text
    assert sorted(read_kv(tmp_path / "o" / "text")) == ["s-1", "s-2", "s-3", "s-6"]
    assert (tmp_path / "o" / "spk2utt").read_text() == "s s-1 s-2 s-3 s-6\n"
    counts = filter_data_dir(d, tmp_path / "o2", fs=16000, max_text_tokens=5)
    assert counts == {"kept": 3, "total": 7, "too short": 1, "too long": 1, "empty text": 1, "too many tokens": 1}
    counts = filter_data_dir(d, tmp_path / "o3", fs=8000, max_sec=20, max_text_tokens=3, text_unit="char")
    # at 8 kHz s-0 lasts 0.1 s (kept), s-3/s-4 40/41 s; "c d" has 3 chars (kept), s-6 has 29
    assert counts == {"kept": 3, "total": 7, "too short": 0, "too long": 2, "empty text": 1, "too many tokens": 1}


def test_empty_result_is_refused(write_dir, tmp_path, caplog):
    d = _dir(write_dir, tmp_path)
    out = tmp_path / "o"
    out.mkdir()
    (out / "text").write_text("keep me\n")
    assert main(["--fs", "16000", "--min_sec", "30", "--max_sec", "40", str(d), str(out)]) == 1
    assert "kept 0 of 7" in caplog.text and "refusing to write an empty" in caplog.text
    assert (out / "text").read_text() == "keep me\n"


def test_rate_from_audio_and_missing_lengths(yesno_dir, tmp_path, caplog):
    assert main([str(yesno_dir), str(tmp_path / "o")]) == 1
    assert "utt2num_samples: missing; run `python -m ctc_kd.data.format_audio`" in caplog.text
    format_audio(yesno_dir, tmp_path / "fmt", fs=8000, audio_format="wav")
    counts = filter_data_dir(tmp_path / "fmt", tmp_path / "o", max_sec=6.2)  # rate read from the files: 8 kHz
    # yesno_0_0_0_0_1_1_1_1 and yesno_0_0_0_1_0_0_0_1 last 6.35 s and 6.76 s; the other two 6.11 s and 6.07 s
    assert counts == {"kept": 2, "total": 4, "too short": 0, "too long": 2, "empty text": 0, "too many tokens": 0}
    assert sorted(read_kv(tmp_path / "o" / "text")) == ["yesno_0_0_0_1_0_1_1_0", "yesno_0_0_1_0_0_0_1_0"]
