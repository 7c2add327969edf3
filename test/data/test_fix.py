"""ctc_kd.data.fix: a messy dir becomes valid, with the dropped utterances counted by reason."""
import logging

from ctc_kd.data.fix import fix_data_dir, main
from ctc_kd.data.validate import validate_data_dir


def test_fix_sorts_drops_and_regenerates(write_dir, tmp_path, caplog):
    d = write_dir(tmp_path / "d", {
        "wav.scp": ["s2-c /x/c.wav", "s1-a /x/a.wav", "s1-b /x/b.wav", "s1-z /x/z.wav"],
        "text": ["s1-b good bye", "s1-a hello", "s1-a hello again", "s2-c yes", "s3-d no audio"],
        "utt2spk": ["s2-c s2", "s1-a s1", "s1-b s1", "s3-d s3"],
        "spk2utt": ["s1 s1-a", "garbage"],
    })
    with caplog.at_level(logging.INFO):
        counts = fix_data_dir(d)
    assert counts == {"kept": 3, "total": 5, "no audio (wav.scp)": 1, "no text": 1, "no utt2spk": 1}
    assert "dropped 2 of 5 utterances" in caplog.text and "dropped 1 repeated ids" in caplog.text
    assert (d / "text").read_text() == "s1-a hello\ns1-b good bye\ns2-c yes\n"
    assert (d / "wav.scp").read_text() == "s1-a /x/a.wav\ns1-b /x/b.wav\ns2-c /x/c.wav\n"
    assert (d / "spk2utt").read_text() == "s1 s1-a s1-b\ns2 s2-c\n"
    assert (d / ".backup" / "text").read_text().startswith("s1-b good bye\n")
    assert validate_data_dir(d).num_utts == 3


def test_fix_segments_and_out_dir(write_dir, tmp_path):
    d = write_dir(tmp_path / "d", {
        "wav.scp": ["r1 /x/r1.wav", "r2 /x/r2.wav", "r3 /x/r3.wav"],
        "segments": ["s-2 r2 1 2", "s-1 r1 0 1", "s-3 r9 0 1", "s-4 r1 3 2"],
        "text": ["s-1 a", "s-2 b", "s-3 c", "s-4 d"],
        "utt2spk": ["s-1 s", "s-2 s", "s-3 s", "s-4 s"],
    })
    before = (d / "segments").read_text()
    assert main([str(d), "--out_dir", str(tmp_path / "o")]) == 0
    o = tmp_path / "o"
    assert (o / "segments").read_text() == "s-1 r1 0 1\ns-2 r2 1 2\n"
    assert (o / "wav.scp").read_text() == "r1 /x/r1.wav\nr2 /x/r2.wav\n"  # r3 unused
    assert (d / "segments").read_text() == before and not (d / ".backup").exists()
    validate_data_dir(o)


def test_fix_nothing_left_writes_nothing(write_dir, tmp_path, caplog):
    d = write_dir(tmp_path / "d", {"wav.scp": ["a /a.wav"], "text": ["b x"], "utt2spk": ["c s"]})
    assert main([str(d)]) == 1
    assert "no utterance is present in all of text, utt2spk" in caplog.text
    assert (d / "text").read_text() == "b x\n" and not (d / "spk2utt").exists()
