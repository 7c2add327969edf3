"""Small real data dirs for the data-tool tests: yesno WAV (8 kHz), Cathy FLAC (16 kHz), mini_an4 SPHERE (16 kHz)."""
import tarfile
from pathlib import Path

import pytest

from ctc_kd.data.datadir import DataDir


def _write_dir(path: Path, files: dict) -> Path:
    """Write raw file contents (name -> list of lines) into a data dir, exactly as given (no sorting)."""
    path.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (path / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def write_dir():
    """Write a hand-made data dir: write_dir(path, {"text": ["u1 a b", ...], ...})."""
    return _write_dir


def _yesno_label(name: str) -> str:
    return " ".join("YES" if c == "1" else "NO" for c in name.split("_"))


@pytest.fixture
def yesno_dir(corpora, tmp_path) -> Path:
    """Four yesno recordings (8 kHz WAV) as a data dir, speaker 'yesno'."""
    wavs = sorted((corpora / "yesno" / "waves_yesno").glob("*.wav"))[:4]
    assert len(wavs) == 4
    maps = {"wav.scp": {}, "text": {}, "utt2spk": {}}
    for w in wavs:
        utt = f"yesno_{w.stem}"
        maps["wav.scp"][utt] = str(w)
        maps["text"][utt] = _yesno_label(w.stem)
        maps["utt2spk"][utt] = "yesno"
    d = tmp_path / "yesno"
    DataDir(d).write_all(maps)
    return d


@pytest.fixture
def cathy_dir(corpora, tmp_path) -> Path:
    """Three Cathy recordings (16 kHz FLAC) as a data dir, speaker 'cathy'."""
    flacs = sorted((corpora / "cathy").glob("arctic_a000*.flac"))[:3]
    assert len(flacs) == 3
    maps = {"wav.scp": {}, "text": {}, "utt2spk": {}}
    for f in flacs:
        utt = f"cathy_{f.stem}"
        maps["wav.scp"][utt] = str(f)
        maps["text"][utt] = f.with_suffix(".txt").read_text(encoding="utf-8").strip()
        maps["utt2spk"][utt] = "cathy"
    d = tmp_path / "cathy"
    DataDir(d).write_all(maps)
    return d


@pytest.fixture(scope="session")
def an4_root(corpora, tmp_path_factory) -> Path:
    """mini_an4's downloads.tar.gz extracted once per session; returns the `an4` folder."""
    out = tmp_path_factory.mktemp("mini_an4")
    with tarfile.open(corpora / "mini_an4" / "downloads.tar.gz") as tar:
        tar.extractall(out, filter="data")
    return out / "downloads" / "an4"
