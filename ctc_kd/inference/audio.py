"""A data dir's audio as a model reads it: which files, how long, at what rate, read and normalised like ESPnet."""
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from ctc_kd.data.datadir import DataDirError, read_kv


def model_sample_rate(config: dict) -> Optional[int]:
    """The sample rate the model's frontend expects (None without a frontend)."""
    if config.get("frontend") in (None, "none"):
        return None
    fs = (config.get("frontend_conf") or {}).get("fs", 16000)
    if isinstance(fs, str):
        import humanfriendly

        fs = humanfriendly.parse_size(fs)
    return int(fs)


def audio_lengths(data_dir: Path, sample_rate: Optional[int]) -> Tuple[Dict[str, str], Dict[str, int], int]:
    """(utt -> audio path, utt -> samples, sample rate) from wav.scp, checking every file up front."""
    import soundfile

    data_dir = Path(data_dir)
    if (data_dir / "segments").is_file():
        raise DataDirError(f"{data_dir / 'segments'}: segments are not supported; decode the dumped dir (dump/raw/...)")
    wav_scp = read_kv(data_dir / "wav.scp")
    if not wav_scp:
        raise DataDirError(f"{data_dir / 'wav.scp'}: no utterances")
    lengths, rates = {}, set()
    for utt, path in wav_scp.items():
        if path.endswith("|"):
            raise DataDirError(f"{data_dir / 'wav.scp'}: '{utt}' is a pipe ({path}); decode the dumped dir "
                               "(dump/raw/...)")
        try:
            info = soundfile.info(path)
        except Exception as e:  # soundfile raises RuntimeError/LibsndfileError/FileNotFoundError
            raise DataDirError(f"{data_dir / 'wav.scp'}: '{utt}': cannot read {path} with soundfile ({e})") from None
        if info.channels != 1:
            raise DataDirError(f"{path} ('{utt}' in {data_dir / 'wav.scp'}) has {info.channels} channels; need mono")
        if sample_rate is not None and info.samplerate != sample_rate:
            raise DataDirError(
                f"{path} ('{utt}' in {data_dir / 'wav.scp'}) is {info.samplerate} Hz but the model expects "
                f"{sample_rate} Hz; resample the data dir (dump it with the model's fs)"
            )
        lengths[utt] = info.frames
        rates.add(info.samplerate)
    if len(rates) > 1:
        raise DataDirError(f"{data_dir / 'wav.scp'}: mixed sample rates {sorted(rates)}; resample to one")
    return wav_scp, lengths, rates.pop()


def read_audio(path: str, volume: Optional[float]) -> np.ndarray:
    """A waveform as ESPnet's data loader gives it: float in [-1, 1] (float64 read, float32 kept), preprocessed."""
    import soundfile

    speech = soundfile.read(path)[0].astype(np.float32)
    if volume is not None and np.abs(speech).max() != 0:  # the preprocessor's speech_volume_normalize
        speech = speech * volume / np.abs(speech).max()
    return speech
