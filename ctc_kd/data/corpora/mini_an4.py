"""Kaldi data dirs train/dev/test for (mini) CMU AN4 from its original an4/ layout."""
from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional

from ctc_kd.data.corpora.common import (
    CorpusError, DataSet, abspath, audio_seconds, base_parser, locate, run_prepare, write_set,
)

log = logging.getLogger(__name__)

LAYOUT = ("an4/etc/an4_{train,test}.{fileids,transcription} and an4/wav/<an4_clstk|an4test_clstk>/<speaker>/"
          "<fileid>.sph")
TRANSCRIPTION = re.compile(r"^(?P<words>.*)\((?P<fileid>[^()\s]+)\)\s*$")  # "<s> WORDS </s> (fileid)"
MARKERS = {"<s>", "</s>", "<sil>"}  # sentence and silence marks, not words


def read_transcriptions(path: Path) -> Dict[str, str]:
    """fileid -> upper-case words from `<s> WORDS </s> (fileid)` lines (the marks are optional)."""
    out: Dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        match = TRANSCRIPTION.match(line.strip())
        if match is None:
            raise CorpusError(f"{path}:{lineno}: expected '<s> WORDS </s> (fileid)', got {line.strip()!r}")
        words = [w for w in match["words"].split() if w not in MARKERS]
        if not words:
            raise CorpusError(f"{path}:{lineno}: transcript without words; fix or delete the line")
        out[match["fileid"]] = " ".join(words).upper()
    return out


def read_part(root: Path, part: str) -> List[tuple]:
    """(utterance id, speaker, words, audio path) of an4_<part>, in fileids order."""
    fileids = root / "etc" / f"an4_{part}.fileids"
    transcriptions = root / "etc" / f"an4_{part}.transcription"
    for path in (fileids, transcriptions):
        if not path.is_file():
            raise CorpusError(f"{path}: missing; the AN4 layout is {LAYOUT}")
    words = read_transcriptions(transcriptions)
    out = []
    for lineno, line in enumerate(fileids.read_text(encoding="utf-8").splitlines(), start=1):
        rel = line.strip()
        if not rel:
            continue
        fileid = Path(rel).name
        audio = root / "wav" / f"{rel}.sph"
        if not audio.is_file():
            raise CorpusError(f"{fileids}:{lineno}: {audio} does not exist; restore it or delete the line")
        if fileid not in words:
            raise CorpusError(f"{fileids}:{lineno}: '{fileid}' has no line in {transcriptions}")
        speaker = Path(rel).parent.name
        out.append((f"{speaker}-{fileid}", speaker, words[fileid], audio))
    return out


def prepare(corpus_dir: Path, data_dir: Path, num_dev: int = 1) -> Dict[str, DataSet]:
    """Write data/{train,dev,test}: dev holds the last `num_dev` train utterances in utterance-id order."""
    root = locate(corpus_dir, "an4", "etc/an4_train.fileids", "AN4", "MINI_AN4", LAYOUT)
    train = sorted(read_part(root, "train"))
    if not 0 < num_dev < len(train):
        raise CorpusError(f"--num_dev {num_dev}: must leave train utterances ({len(train)} in an4_train)")
    parts = {"train": train[:-num_dev], "dev": train[-num_dev:], "test": read_part(root, "test")}
    sets = {}
    for name, rows in parts.items():
        sets[name] = ds = DataSet(name)
        for utt, spk, words, audio in rows:
            ds.add(utt, spk, words, abspath(audio))
        write_set(data_dir, ds, seconds=audio_seconds(row[3] for row in rows))
    return sets


def main(argv: Optional[List[str]] = None) -> int:
    parser = base_parser("mini_an4", "Kaldi data dirs train/dev/test from the AN4 layout (an4/etc, an4/wav).",
                         "MINI_AN4", "an4")
    parser.add_argument("--num_dev", type=int, default=1,
                        help="train utterances held out as dev: the last ones in utterance-id order (default 1)")
    args = parser.parse_args(argv)
    return run_prepare(prepare, args.corpus_dir, args.data_dir, args.num_dev)


if __name__ == "__main__":
    sys.exit(main())
