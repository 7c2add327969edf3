"""What every corpus preparation shares: finding the corpus, writing and checking data dirs, logging counts."""
from __future__ import annotations

import argparse
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional

from ctc_kd.cli import run
from ctc_kd.data.datadir import DataDir
from ctc_kd.data.validate import validate_data_dir

log = logging.getLogger(__name__)

DONE = ".done"  # written last into data/<set>/: local/data.sh skips sets that have it


class CorpusError(ValueError):
    """The corpus on disk is missing or malformed; the message names the file (and line) and what to do."""


def locate(corpus_dir: Path, top: str, probe: str, corpus: str, var: str, layout: str) -> Path:
    """The corpus's top folder: `<corpus_dir>/<top>`, or `corpus_dir` itself when it already is that folder.

    `probe` is a glob (relative to the top folder) that matches something in any usable copy of the corpus.
    """
    for root in (corpus_dir / top, corpus_dir):
        if root.is_dir() and next(root.glob(probe), None) is not None:
            return root
    raise CorpusError(
        f"{corpus_dir}: no {corpus} corpus there; expected {layout} (relative to that folder). Set {var} in db.sh "
        f"(or the environment) to the folder that holds {top}/, or run local/data.sh with --download true to fetch it"
    )


def abspath(path: Path) -> str:
    """The absolute path written into wav.scp (symlinks kept as the user named them)."""
    return os.path.abspath(path)


def audio_duration(path: Path) -> float:
    """Seconds of audio from the file's header; an unreadable file is an error naming it."""
    import soundfile

    try:
        return soundfile.info(str(path)).duration
    except (RuntimeError, OSError) as err:
        raise CorpusError(f"{path}: not readable as audio ({err}); restore the file from the corpus archive") from None


def audio_seconds(paths: Iterable[Path]) -> float:
    """Total duration of audio files from their headers (cheap; used for small corpora only)."""
    return sum(audio_duration(p) for p in paths)


@dataclass
class DataSet:
    """One data dir in memory: recordings, transcripts, speakers and, for long recordings, segments."""

    name: str
    wav: Dict[str, str] = field(default_factory=dict)  # recording id -> absolute audio path
    text: Dict[str, str] = field(default_factory=dict)  # utterance id -> transcript
    utt2spk: Dict[str, str] = field(default_factory=dict)
    segments: Optional[Dict[str, str]] = None  # utterance id -> "<recording> <start> <end>"

    def add(self, utt: str, spk: str, text: str, wav: Optional[str] = None) -> None:
        """Add one utterance (and its recording when it has its own file)."""
        if utt in self.utt2spk:
            raise CorpusError(f"{self.name}: utterance id '{utt}' occurs twice in the corpus")
        self.utt2spk[utt] = spk
        self.text[utt] = text
        if wav is not None:
            self.wav[utt] = wav


def write_set(data_dir: Path, ds: DataSet, seconds: Optional[float] = None) -> None:
    """Write `data_dir/<name>/`, validate it, log its counts, and mark it done."""
    if not ds.utt2spk:
        raise CorpusError(f"{ds.name}: no utterances found for this set; check the corpus folder")
    for utt, spk in ds.utt2spk.items():
        if any(c.isspace() for c in utt + spk) or not utt.startswith(spk):
            raise CorpusError(f"{ds.name}: utterance id '{utt}' must start with its speaker id '{spk}', no spaces")
    out = Path(data_dir) / ds.name
    (out / DONE).unlink(missing_ok=True)
    maps = {"wav.scp": ds.wav, "text": ds.text, "utt2spk": ds.utt2spk}
    if ds.segments is not None:
        maps["segments"] = ds.segments
    elif (out / "segments").exists():
        (out / "segments").unlink()  # left by an older preparation: it would re-cut whole files
    DataDir(out).write_all(maps)
    report = validate_data_dir(out)
    for warning in report.warnings:
        log.warning("%s", warning)
    hours = ""
    if seconds is not None:
        hours = f", {seconds / 3600:.2f} hours" if seconds >= 3600 else f", {seconds / 60:.1f} minutes"
    log.info("%s: %d utterances, %d speakers%s", out, report.num_utts, report.num_spks, hours)
    (out / DONE).write_text("")


def base_parser(prog: str, description: str, var: str, top: str) -> argparse.ArgumentParser:
    """The options every corpus module has: where the corpus is and where the data dirs go."""
    parser = argparse.ArgumentParser(prog=f"python -m ctc_kd.data.corpora.{prog}", description=description)
    parser.add_argument("--corpus_dir", type=Path, required=True,
                        help=f"folder holding {top}/ (db.sh's {var}); the {top} folder itself is accepted too")
    parser.add_argument("--data_dir", type=Path, default=Path("data"),
                        help="where the data/<set>/ dirs are written (default: data)")
    return parser


def run_prepare(prepare: Callable[..., object], *args) -> int:
    """A corpus module's exit status: 0 once prepare(*args) has written the data dirs (its return value is the sets,
    not a status), 1 with one logged message on bad input."""

    def body() -> None:
        prepare(*args)

    return run(body)
