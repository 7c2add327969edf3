"""ctc_kd.data.subset: --first, --utt_list and --spk_list keep every file consistent."""
from ctc_kd.data.subset import main
from ctc_kd.data.validate import validate_data_dir


def _dir(write_dir, tmp_path):
    return write_dir(tmp_path / "d", {
        "wav.scp": ["r1 /r1.wav", "r2 /r2.wav"],
        "segments": ["a-1 r1 0 1", "a-2 r1 1 2", "b-1 r2 0 1"],
        "text": ["a-1 x", "a-2 y", "b-1 z"],
        "utt2spk": ["a-1 a", "a-2 a", "b-1 b"],
        "spk2utt": ["a a-1 a-2", "b b-1"],
    })


def test_first(write_dir, tmp_path):
    d, o = _dir(write_dir, tmp_path), tmp_path / "o"
    assert main(["--first", "2", str(d), str(o)]) == 0
    assert (o / "text").read_text() == "a-1 x\na-2 y\n"
    assert (o / "wav.scp").read_text() == "r1 /r1.wav\n"
    assert validate_data_dir(o).num_utts == 2


def test_utt_and_spk_lists(write_dir, tmp_path, caplog):
    d = _dir(write_dir, tmp_path)
    (tmp_path / "utts").write_text("b-1 anything\na-2\nzzz\n")
    assert main(["--utt_list", str(tmp_path / "utts"), str(d), str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "spk2utt").read_text() == "a a-2\nb b-1\n"
    assert "1 of 3 ids are not in" in caplog.text
    (tmp_path / "spks").write_text("b\n")
    assert main(["--spk_list", str(tmp_path / "spks"), str(d), str(tmp_path / "o2")]) == 0
    assert (tmp_path / "o2" / "segments").read_text() == "b-1 r2 0 1\n"
    (tmp_path / "none").write_text("q\n")
    assert main(["--spk_list", str(tmp_path / "none"), str(d), str(tmp_path / "o3")]) == 1
    assert "selects no utterance" in caplog.text and not (tmp_path / "o3").exists()
