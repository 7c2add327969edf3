"""ctc_kd.data.combine: dirs merge into one; repeated ids are an error that writes nothing."""
import logging

from ctc_kd.data.combine import combine_data_dirs, main
from ctc_kd.data.validate import validate_data_dir


def test_combine_real_dirs(yesno_dir, cathy_dir, tmp_path):
    out = tmp_path / "all"
    assert main([str(out), str(yesno_dir), str(cathy_dir)]) == 0
    report = validate_data_dir(out)
    assert (report.num_utts, report.num_spks) == (7, 2)
    assert (out / "spk2utt").read_text().splitlines()[0].split()[:2] == ["cathy", "cathy_arctic_a0001_1592748574"]


def test_combine_duplicate_is_an_error(write_dir, tmp_path, caplog):
    files = {"wav.scp": ["s-a /a.wav"], "text": ["s-a x"], "utt2spk": ["s-a s"]}
    a, b = write_dir(tmp_path / "a", files), write_dir(tmp_path / "b", files)
    out = tmp_path / "out"
    assert main([str(out), str(a), str(b)]) == 1
    assert f"{b / 'text'}: utterance id 's-a' is also in {a / 'text'}" in caplog.text
    assert not out.exists()


def test_combine_shared_recordings_and_utt2speed(write_dir, tmp_path, caplog):
    a = write_dir(tmp_path / "a", {"wav.scp": ["r /r.wav"], "segments": ["s-1 r 0 1"], "text": ["s-1 x"],
                                   "utt2spk": ["s-1 s"], "utt2speed": ["s-1 0.9"], "utt2num_samples": ["s-1 10"]})
    b = write_dir(tmp_path / "b", {"wav.scp": ["r /r.wav"], "segments": ["s-2 r 1 2"], "text": ["s-2 y"],
                                   "utt2spk": ["s-2 s"]})
    with caplog.at_level(logging.WARNING):
        merged = combine_data_dirs(tmp_path / "o", [a, b])
    assert merged["utt2speed"] == {"s-1": "0.9", "s-2": "1.0"}
    assert merged["wav.scp"] == {"r": "/r.wav"}
    assert "utt2num_samples is only in" in caplog.text and not (tmp_path / "o" / "utt2num_samples").exists()
    validate_data_dir(tmp_path / "o")
    c = write_dir(tmp_path / "c", {"wav.scp": ["r /other.wav"], "segments": ["s-3 r 0 1"], "text": ["s-3 z"],
                                   "utt2spk": ["s-3 s"]})
    assert main([str(tmp_path / "o2"), str(b), str(c)]) == 1
    assert "recording id 'r' is also in" in caplog.text
