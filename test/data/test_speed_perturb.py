"""ctc_kd.data.speed_perturb (+ format_audio applying it): ids, utt2speed and lengths round(n / f)."""
import soundfile as sf

from ctc_kd.data.datadir import read_kv
from ctc_kd.data.format_audio import format_audio
from ctc_kd.data.speed_perturb import main
from ctc_kd.data.validate import validate_data_dir


def test_ids_speakers_recordings(write_dir, tmp_path):
    d = write_dir(tmp_path / "d", {
        "wav.scp": ["rec1 /r1.wav"],
        "segments": ["spk-1 rec1 0.5 1.25", "spk-2 rec1 2 3"],
        "text": ["spk-1 a b", "spk-2 c"],
        "utt2spk": ["spk-1 spk", "spk-2 spk"],
        "spk2utt": ["spk spk-1 spk-2"],
        "utt2num_samples": ["spk-1 12000", "spk-2 16000"],
    })
    o = tmp_path / "sp"
    assert main(["--factors", "0.9", "1.0", "1.1", str(d), str(o)]) == 0
    assert (o / "segments").read_text().splitlines() == [
        "sp0.9-spk-1 sp0.9-rec1 0.5 1.25", "sp0.9-spk-2 sp0.9-rec1 2 3",
        "sp1.1-spk-1 sp1.1-rec1 0.5 1.25", "sp1.1-spk-2 sp1.1-rec1 2 3",
        "spk-1 rec1 0.5 1.25", "spk-2 rec1 2 3",
    ]
    assert read_kv(o / "wav.scp") == {"sp0.9-rec1": "/r1.wav", "sp1.1-rec1": "/r1.wav", "rec1": "/r1.wav"}
    assert read_kv(o / "utt2spk")["sp1.1-spk-2"] == "sp1.1-spk"
    assert read_kv(o / "text")["sp0.9-spk-1"] == "a b"
    assert read_kv(o / "utt2speed") == {"sp0.9-spk-1": "0.9", "sp0.9-spk-2": "0.9", "sp1.1-spk-1": "1.1",
                                        "sp1.1-spk-2": "1.1", "spk-1": "1", "spk-2": "1"}
    assert not (o / "utt2num_samples").exists()  # lengths change: format_audio recomputes them
    assert validate_data_dir(o).num_utts == 6


def test_formatted_lengths(cathy_dir, tmp_path):
    sp, fmt = tmp_path / "sp", tmp_path / "fmt"
    assert main(["--factors", "0.9", "1.1", str(cathy_dir), str(sp)]) == 0
    format_audio(sp, fmt, fs=16000, nj=2)
    n = {u: sf.info(p).frames for u, p in read_kv(cathy_dir / "wav.scp").items()}
    got = {u: int(v) for u, v in read_kv(fmt / "utt2num_samples").items()}
    assert len(got) == 6
    for u, frames in n.items():
        for f in (0.9, 1.1):
            assert abs(got[f"sp{f}-{u}"] - round(frames / f)) <= 1
            assert sf.info(read_kv(fmt / "wav.scp")[f"sp{f}-{u}"]).frames == got[f"sp{f}-{u}"]


def test_segments_cut_before_speed(write_dir, cathy_dir, tmp_path):
    wav = next(iter(read_kv(cathy_dir / "wav.scp").values()))
    d = write_dir(tmp_path / "d", {
        "wav.scp": [f"rec {wav}"], "segments": ["c-1 rec 0.5 1.25"], "text": ["c-1 x"], "utt2spk": ["c-1 c"],
        "spk2utt": ["c c-1"],
    })
    assert main(["--factors", "0.9", "1.0", "1.1", str(d), str(tmp_path / "sp")]) == 0
    format_audio(tmp_path / "sp", tmp_path / "fmt", fs=16000)
    got = {u: int(v) for u, v in read_kv(tmp_path / "fmt" / "utt2num_samples").items()}
    assert got["c-1"] == 12000
    assert abs(got["sp0.9-c-1"] - round(12000 / 0.9)) <= 1 and abs(got["sp1.1-c-1"] - round(12000 / 1.1)) <= 1
