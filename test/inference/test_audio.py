"""A data dir's audio checked before decoding: each bad file named with the fix; waveforms as ESPnet reads them."""
import numpy as np
import pytest
import soundfile

from ctc_kd.data.datadir import DataDirError
from ctc_kd.inference.audio import audio_lengths, model_sample_rate, read_audio


def wav(path, samples, rate=16000, channels=1):
    data = np.full((samples, channels), 0.25, np.float32)
    soundfile.write(path, data if channels > 1 else data[:, 0], rate)
    return path


def test_lengths_and_the_rate_of_a_good_dir(tmp_path):
    (tmp_path / "wav.scp").write_text(f"a {wav(tmp_path / 'a.wav', 800)}\nb {wav(tmp_path / 'b.wav', 1600)}\n")
    scp, lengths, rate = audio_lengths(tmp_path, 16000)
    assert lengths == {"a": 800, "b": 1600} and rate == 16000 and scp["b"] == str(tmp_path / "b.wav")


@pytest.mark.parametrize("line, message", [
    ("a {stereo}", "has 2 channels; need mono"),
    ("a {slow}", "is 8000 Hz but the model expects 16000 Hz"),
    ("a sox x.wav -t wav - |", "'a' is a pipe"),
    ("a {missing}", "'a': cannot read"),
])
def test_bad_audio_is_named_with_the_fix(tmp_path, line, message):
    files = {"stereo": wav(tmp_path / "s.wav", 800, channels=2), "slow": wav(tmp_path / "8k.wav", 800, 8000),
             "missing": tmp_path / "none.wav"}
    (tmp_path / "wav.scp").write_text(line.format(**files) + "\n")
    with pytest.raises(DataDirError, match=message):
        audio_lengths(tmp_path, 16000)


def test_mixed_rates_and_segments_are_refused(tmp_path):
    (tmp_path / "wav.scp").write_text(f"a {wav(tmp_path / 'a.wav', 800)}\nb {wav(tmp_path / 'b.wav', 800, 8000)}\n")
    with pytest.raises(DataDirError, match=r"mixed sample rates \[8000, 16000\]"):
        audio_lengths(tmp_path, None)
    (tmp_path / "segments").write_text("a-1 a 0 0.01\n")
    with pytest.raises(DataDirError, match="segments are not supported"):
        audio_lengths(tmp_path, None)


def test_volume_normalisation_and_the_models_rate():
    assert model_sample_rate({"frontend": "default", "frontend_conf": {"fs": "8k"}}) == 8000
    assert model_sample_rate({"frontend": "default"}) == 16000 and model_sample_rate({"frontend": None}) is None


def test_a_waveform_scaled_to_the_preprocessors_volume(tmp_path):
    path = wav(tmp_path / "a.wav", 100)
    assert read_audio(str(path), None).max() == pytest.approx(0.25, abs=1e-4)
    assert read_audio(str(path), 0.5).max() == pytest.approx(0.5)
