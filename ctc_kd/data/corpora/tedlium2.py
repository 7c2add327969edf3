"""Kaldi data dirs train/dev/test (with segments) for TED-LIUM release 2 from its stm transcripts."""
from __future__ import annotations

import logging
import re
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Dict, List, Optional

from ctc_kd.data.corpora.common import CorpusError, DataSet, abspath, base_parser, locate, run_prepare, write_set

log = logging.getLogger(__name__)

SETS = ("train", "dev", "test")
LAYOUT = "TEDLIUM_release2/<train|dev|test>/{sph/<talk>.sph, stm/<talk>.stm}"
IGNORE = "ignore_time_segment_in_scoring"
VARIANT = re.compile(r"\(\d+\)$")  # pronunciation-variant mark: that(2) -> that


def clean_words(words: List[str]) -> List[str]:
    """Words of an stm segment without <sil> and without pronunciation-variant marks; <unk> and case kept."""
    return [VARIANT.sub("", w) for w in words if w != "<sil>" and VARIANT.sub("", w)]


def centiseconds(value: str) -> int:
    """Exact hundredths of a second of an stm time like 17.82 (no binary-float rounding)."""
    return int(Decimal(value) * 100)


def read_stm(path: Path, sph_dir: Path, ds: DataSet, skipped: Counter) -> float:
    """Add the segments of one stm file to `ds`; returns their total seconds and counts what was skipped."""
    seconds = 0.0
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith(";;"):
            continue
        if len(fields) < 6:
            raise CorpusError(f"{path}:{lineno}: expected '<talk> <channel> <speaker> <start> <end> <label> words'")
        talk, start, end, words = fields[0], fields[3], fields[4], fields[6:]
        if IGNORE in words:
            skipped["ignore_time_segment_in_scoring"] += 1
            continue
        words = clean_words(words)
        if not words:
            skipped["no words besides <sil>"] += 1
            continue
        try:
            begin, finish = centiseconds(start), centiseconds(end)
        except InvalidOperation:
            raise CorpusError(f"{path}:{lineno}: start/end '{start} {end}' are not numbers") from None
        if finish <= begin:
            skipped["end not after start"] += 1
            continue
        utt = f"{talk}-{begin:07d}-{finish:07d}"
        if utt in ds.utt2spk:
            skipped["repeated start and end"] += 1
            continue
        if talk not in ds.wav:
            sph = sph_dir / f"{talk}.sph"
            if not sph.is_file():
                raise CorpusError(f"{path}:{lineno}: talk '{talk}' has no audio {sph}; restore it")
            ds.wav[talk] = abspath(sph)
        ds.add(utt, talk, " ".join(words))
        ds.segments[utt] = f"{talk} {start} {end}"
        seconds += float(end) - float(start)
    return seconds


def prepare(corpus_dir: Path, data_dir: Path) -> Dict[str, DataSet]:
    """Write data/{train,dev,test}: one recording per talk, one utterance per kept stm segment."""
    root = locate(corpus_dir, "TEDLIUM_release2", "*/stm/*.stm", "TED-LIUM 2", "TEDLIUM2", LAYOUT)
    sets = {}
    for name in SETS:
        stms = sorted((root / name / "stm").glob("*.stm"))
        if not stms:
            raise CorpusError(f"{root / name / 'stm'}: no .stm files; expected {LAYOUT}")
        sets[name] = ds = DataSet(name, segments={})
        skipped: Counter = Counter()
        seconds = sum(read_stm(stm, root / name / "sph", ds, skipped) for stm in stms)
        for why, count in sorted(skipped.items()):
            log.info("%s: skipped %d stm segments (%s)", name, count, why)
        write_set(data_dir, ds, seconds=seconds)
    return sets


def main(argv: Optional[List[str]] = None) -> int:
    parser = base_parser("tedlium2", "Kaldi data dirs train/dev/test with segments from TEDLIUM_release2/.",
                         "TEDLIUM2", "TEDLIUM_release2")
    args = parser.parse_args(argv)
    return run_prepare(prepare, args.corpus_dir, args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
