"""ctc_kd.data.format_audio on real WAV, FLAC and NIST SPHERE files: rates, cuts, channels, bad files, resuming."""
import logging
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ctc_kd.data.datadir import DataDirError, read_kv
from ctc_kd.data.format_audio import format_audio, main, wav_header_frames
from ctc_kd.data.validate import validate_data_dir


def _dir(write_dir, path, wavs, segments=None):
    """A data dir over {utt: audio path} (speaker = part of the id before '-')."""
    files = {
        "wav.scp": [f"{u} {p}" for u, p in sorted(wavs.items())],
        "text": [f"{u} x" for u in sorted(segments or wavs)],
        "utt2spk": [f"{u} {u.split('-')[0]}" for u in sorted(segments or wavs)],
    }
    spk2utt = {}
    for u in sorted(segments or wavs):
        spk2utt.setdefault(u.split("-")[0], []).append(u)
    files["spk2utt"] = [f"{s} {' '.join(us)}" for s, us in sorted(spk2utt.items())]
    if segments:
        files["segments"] = [f"{u} {v}" for u, v in sorted(segments.items())]
    return write_dir(path, files)


def test_wav_8k_to_16k_doubles_length(yesno_dir, tmp_path):
    out = tmp_path / "out"
    assert main(["--fs", "16000", "--nj", "2", "--audio_format", "wav", str(yesno_dir), str(out)]) == 0
    src = read_kv(yesno_dir / "wav.scp")
    dst = read_kv(out / "wav.scp")
    assert set(dst) == set(src)
    for utt, path in dst.items():
        info = sf.info(path)
        assert Path(path).is_absolute() and path == str(out.resolve() / "data" / f"{utt}.wav")
        assert (info.samplerate, info.channels, info.subtype, info.format) == (16000, 1, "PCM_16", "WAV")
        assert info.frames == 2 * sf.info(src[utt]).frames
        assert read_kv(out / "utt2num_samples")[utt] == str(info.frames)
    assert (out / "text").read_text() == (yesno_dir / "text").read_text()
    assert not (out / "segments").exists()
    validate_data_dir(out)


def test_flac_same_rate_is_bit_exact(cathy_dir, tmp_path):
    out = tmp_path / "out"
    format_audio(cathy_dir, out, fs=16000, audio_format="flac")
    for utt, path in read_kv(cathy_dir / "wav.scp").items():
        a, _ = sf.read(path, dtype="int16")
        b, sr = sf.read(read_kv(out / "wav.scp")[utt], dtype="int16")
        assert sr == 16000 and np.array_equal(a, b)


def test_sphere_from_mini_an4(an4_root, write_dir, tmp_path):
    sphs = sorted(an4_root.glob("wav/*/*/*.sph"))
    assert len(sphs) == 8
    wavs = {f"{p.parent.name}-{p.stem}": str(p) for p in sphs}
    d = _dir(write_dir, tmp_path / "an4", wavs)
    out = tmp_path / "out"
    format_audio(d, out, fs=8000, nj=2)
    got = read_kv(out / "utt2num_samples")
    assert got["fash-an251-fash-b"] == "8000"  # 16000 samples at 16 kHz -> 8 kHz
    assert got["fash-an253-fash-b"] == "5600"
    assert all(sf.info(p).samplerate == 8000 for p in read_kv(out / "wav.scp").values())


def test_segments_cut_exact_samples(cathy_dir, write_dir, tmp_path):
    wav = sorted(read_kv(cathy_dir / "wav.scp").values())[0]
    d = _dir(write_dir, tmp_path / "d", {"rec": wav},
             segments={"c-1": "rec 0.5 1.25", "c-2": "rec 0 0.0001", "c-3": "rec 1.1 2.2"})
    out = tmp_path / "out"
    format_audio(d, out, fs=16000)
    assert read_kv(out / "utt2num_samples") == {"c-1": "12000", "c-2": "2", "c-3": "17600"}
    full, _ = sf.read(wav, dtype="int16")
    cut, _ = sf.read(read_kv(out / "wav.scp")["c-1"], dtype="int16")
    assert np.array_equal(cut, full[8000:20000])


def test_segment_beyond_end_is_an_error(cathy_dir, write_dir, tmp_path, caplog):
    wav = sorted(read_kv(cathy_dir / "wav.scp").values())[0]
    dur = sf.info(wav).frames / 16000
    d = _dir(write_dir, tmp_path / "d", {"rec": wav}, segments={"c-1": f"rec 1 {dur + 0.5:.3f}"})
    assert main([str(d), str(tmp_path / "out")]) == 1
    assert "utterance 'c-1': segment" in caplog.text and f"is beyond the end of {wav}" in caplog.text
    assert main(["--max_overshoot", "1", str(d), str(tmp_path / "out")]) == 0  # tolerated and cut at the end
    assert read_kv(tmp_path / "out" / "utt2num_samples")["c-1"] == str(sf.info(wav).frames - 16000)


def test_stereo_keeps_first_channel(tmp_path, write_dir):
    rng = np.random.default_rng(0)
    stereo = rng.integers(-20000, 20000, size=(800, 2)).astype(np.int16)
    sf.write(tmp_path / "st.wav", stereo, 16000, subtype="PCM_16")
    d = _dir(write_dir, tmp_path / "d", {"s-1": str(tmp_path / "st.wav")})
    format_audio(d, tmp_path / "out", fs=16000, audio_format="wav")
    mono, _ = sf.read(read_kv(tmp_path / "out" / "wav.scp")["s-1"], dtype="int16")
    assert mono.ndim == 1 and np.array_equal(mono, stereo[:, 0])


@pytest.fixture
def bad_dir(yesno_dir, write_dir, tmp_path):
    """Two good yesno files, a corrupt .wav (random bytes), an empty .wav (0 samples) and a missing file."""
    (tmp_path / "corrupt.wav").write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    sf.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.int16), 8000, subtype="PCM_16")
    good = sorted(read_kv(yesno_dir / "wav.scp").values())[:2]
    return _dir(write_dir, tmp_path / "bad", {
        "a-good1": good[0], "a-good2": good[1], "b-corrupt": str(tmp_path / "corrupt.wav"),
        "c-empty": str(tmp_path / "empty.wav"), "d-missing": str(tmp_path / "nowhere.wav"),
    })


def test_corrupt_empty_missing_name_utterance_and_file(bad_dir, tmp_path):
    for utt, reason in [("b-corrupt", "cannot read"), ("c-empty", "is empty (0 samples)"), ("d-missing", "not found")]:
        keep = {"b-corrupt", "c-empty", "d-missing"} - {utt}
        for name in ("wav.scp", "text", "utt2spk"):
            lines = [ln for ln in (bad_dir / name).read_text().splitlines() if ln.split()[0] not in keep]
            (tmp_path / "one").mkdir(exist_ok=True)
            (tmp_path / "one" / name).write_text("".join(ln + "\n" for ln in lines))
        (tmp_path / "one" / "spk2utt").write_text(f"a a-good1 a-good2\n{utt[0]} {utt}\n")
        with pytest.raises(DataDirError) as e:
            format_audio(tmp_path / "one", tmp_path / f"out-{utt}", fs=16000)
        src = read_kv(tmp_path / "one" / "wav.scp")[utt]
        assert f"utterance '{utt}'" in str(e.value) and src in str(e.value) and reason in str(e.value)
        assert "--skip_bad" in str(e.value)
        assert not (tmp_path / f"out-{utt}" / "wav.scp").exists()


def test_skip_bad_lists_them(bad_dir, tmp_path, caplog):
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO):
        assert main(["--skip_bad", "--nj", "2", str(bad_dir), str(out)]) == 0
    assert sorted(read_kv(out / "wav.scp")) == ["a-good1", "a-good2"]
    assert sorted(read_kv(out / "bad_utts")) == ["b-corrupt", "c-empty", "d-missing"]
    assert "2 utterances formatted (0 were already done), 3 bad" in caplog.text
    validate_data_dir(out)


def test_resume_skips_finished_files(yesno_dir, tmp_path):
    out = tmp_path / "out"
    assert format_audio(yesno_dir, out, fs=16000) == {"done": 4, "skipped": 0, "bad": 0}
    paths = read_kv(out / "wav.scp")
    old = {u: os.stat(p).st_mtime_ns for u, p in paths.items()}
    first = sorted(paths)[0]
    os.unlink(paths[first])
    (out / "wav.scp").unlink()
    assert format_audio(yesno_dir, out, fs=16000, nj=2) == {"done": 4, "skipped": 3, "bad": 0}
    for u, p in read_kv(out / "wav.scp").items():
        if u != first:
            assert os.stat(p).st_mtime_ns == old[u]
    assert sf.info(paths[first]).frames == int(read_kv(out / "utt2num_samples")[first])
    assert not [p for p in (out / "data").iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_wav_holding_fewer_samples_than_its_header_promises_is_refused(tmp_path, write_dir):
    sf.write(tmp_path / "whole.wav", np.full(16000, 1000, dtype=np.int16), 16000, subtype="PCM_16")
    data = (tmp_path / "whole.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:44 + 2 * 6000])  # header (44 bytes) + 6000 of the 16000 samples
    assert wav_header_frames(str(tmp_path / "cut.wav")) == 16000 and sf.info(tmp_path / "cut.wav").frames == 6000
    d = _dir(write_dir, tmp_path / "d", {"s-1": str(tmp_path / "cut.wav")})
    with pytest.raises(DataDirError, match=r"utterance 's-1': audio file .*cut.wav is cut short: its header "
                                           r"promises 16000 samples but it holds 6000"):
        format_audio(d, tmp_path / "out", fs=16000, audio_format="wav")
    assert wav_header_frames(str(tmp_path / "whole.wav")) == 16000


def test_a_silent_first_channel_is_refused_naming_the_channel_with_sound(tmp_path, write_dir):
    stereo = np.zeros((800, 3), dtype=np.int16)
    stereo[:, 2] = np.random.default_rng(0).integers(-20000, 20000, size=800)
    sf.write(tmp_path / "st.wav", stereo, 16000, subtype="PCM_16")
    d = _dir(write_dir, tmp_path / "d", {"s-1": str(tmp_path / "st.wav")})
    with pytest.raises(DataDirError, match=r"the first channel of .*st.wav \(the one kept\) is silent, channel 3 is "
                                           r"not: .*remix 3"):
        format_audio(d, tmp_path / "out", fs=16000, audio_format="wav")


def test_an_utterance_too_short_to_decode_is_named_at_formatting(tmp_path, write_dir, caplog):
    sf.write(tmp_path / "short.wav", np.full(300, 1000, dtype=np.int16), 16000, subtype="PCM_16")  # 19 ms
    sf.write(tmp_path / "long.wav", np.full(16000, 1000, dtype=np.int16), 16000, subtype="PCM_16")
    d = _dir(write_dir, tmp_path / "d", {"s-1": str(tmp_path / "long.wav"), "s-2": str(tmp_path / "short.wav")})
    with caplog.at_level(logging.INFO):
        assert format_audio(d, tmp_path / "out", fs=16000, audio_format="wav")["done"] == 2
    assert "1 utterance(s) shorter than 0.06 s, too short for a model's first frames" in caplog.text
    assert caplog.text.rstrip().endswith(": s-2")


def test_shards_merged_give_the_one_job_data_dir(yesno_dir, tmp_path, caplog):
    """Three shards of four utterances (one shard of two, two of one) merge into the files of a one-job run; the merge
    is refused while a shard is missing, naming its log, and for a shard of other settings."""
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    assert main(["--fs", "16000", str(yesno_dir), str(whole)]) == 0
    log = str(tmp_path / "log" / "format.JOB.log")
    for shard in (1, 3):
        assert main(["--fs", "16000", "--shard", str(shard), "--num_shards", "3", str(yesno_dir), str(sharded)]) == 0
    assert not (sharded / "wav.scp").exists()  # nothing merged before every shard is done
    assert main(["--fs", "16000", "--merge_shards", "3", "--shard_log", log, str(yesno_dir), str(sharded)]) == 1
    assert f"1 of 3 shards did not finish: shard 2 (no {sharded}/jobs/split3/2/shard.json; see {tmp_path}/log/format.2.log)" \
        in caplog.text
    assert main(["--fs", "8000", "--shard", "2", "--num_shards", "3", str(yesno_dir), str(sharded)]) == 0
    caplog.clear()
    assert main(["--fs", "16000", "--merge_shards", "3", str(yesno_dir), str(sharded)]) == 1
    assert f"{sharded}/jobs/split3/2/shard.json was written by a run with fs=8000, not fs=16000" in caplog.text
    assert main(["--fs", "16000", "--shard", "2", "--num_shards", "3", str(yesno_dir), str(sharded)]) == 0
    assert main(["--fs", "16000", "--merge_shards", "3", "--shard_log", log, str(yesno_dir), str(sharded)]) == 0
    for name in ("text", "utt2spk", "spk2utt", "utt2num_samples"):
        assert (sharded / name).read_text() == (whole / name).read_text(), name
    for utt, path in read_kv(sharded / "wav.scp").items():
        assert Path(path) == sharded / "data" / f"{utt}.flac"
        assert np.array_equal(sf.read(path)[0], sf.read(whole / "data" / f"{utt}.flac")[0])
