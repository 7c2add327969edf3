"""Kaldi data dirs train/dev/test for the yesno corpus, whose file names are the transcripts."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Dict, List, Optional

from ctc_kd.data.corpora.common import (
    CorpusError, DataSet, abspath, audio_seconds, base_parser, locate, run_prepare, write_set,
)

log = logging.getLogger(__name__)

SPEAKER = "yesno"  # one (male) speaker; utterance ids are yesno_<file name>
WORDS = {"0": "NO", "1": "YES"}
LAYOUT = "waves_yesno/<0|1>_..._<0|1>.wav (8 words per file, 0 = NO, 1 = YES)"


def split_of(index: int) -> str:
    """The set of the index-th recording in file-name order: i % 5 == 4 test, i % 10 == 2 dev, the rest train.

    For the 60 recordings that is 12 test, 6 dev and 42 train, spread over the whole (name-sorted) corpus.
    """
    if index % 5 == 4:
        return "test"
    return "dev" if index % 10 == 2 else "train"


def transcript(path: Path) -> str:
    """NO/YES words from a file name like 0_1_1_0_0_1_1_1.wav."""
    digits = path.stem.split("_")
    if not all(d in WORDS for d in digits):
        raise CorpusError(f"{path}: the file name must be 0/1 digits joined by '_' (0 = NO, 1 = YES); move it away")
    return " ".join(WORDS[d] for d in digits)


def prepare(corpus_dir: Path, data_dir: Path) -> Dict[str, DataSet]:
    """Write data/{train,dev,test} and return them."""
    root = locate(corpus_dir, "waves_yesno", "*.wav", "yesno", "YESNO", LAYOUT)
    sets = {name: DataSet(name) for name in ("train", "dev", "test")}
    files: Dict[str, List[Path]] = {name: [] for name in sets}
    for index, path in enumerate(sorted(root.glob("*.wav"))):
        name = split_of(index)
        sets[name].add(f"{SPEAKER}_{path.stem}", SPEAKER, transcript(path), abspath(path))
        files[name].append(path)
    for name, ds in sets.items():
        write_set(data_dir, ds, seconds=audio_seconds(files[name]))
    return sets


def main(argv: Optional[List[str]] = None) -> int:
    parser = base_parser("yesno", "Kaldi data dirs train/dev/test from waves_yesno/*.wav (split: see split_of).",
                         "YESNO", "waves_yesno")
    args = parser.parse_args(argv)
    return run_prepare(prepare, args.corpus_dir, args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
