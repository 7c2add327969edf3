"""Kaldi data dirs train/dev/test for AISHELL-1 (Mandarin, character transcripts) from data_aishell/."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Dict, List, Optional

from ctc_kd.data.corpora.common import CorpusError, DataSet, abspath, base_parser, locate, run_prepare, write_set

log = logging.getLogger(__name__)

SETS = ("train", "dev", "test")
TRANSCRIPT = "transcript/aishell_transcript_v0.8.txt"
LAYOUT = (f"data_aishell/{TRANSCRIPT} and data_aishell/wav/<train|dev|test>/<speaker>/<utt>.wav (the wav/ folder "
          f"of the download holds one <speaker>.tar.gz per speaker: local/data.sh extracts them)")


def read_transcript(path: Path) -> Dict[str, str]:
    """Utterance id -> text with the word-separating spaces removed (character units); empty lines skipped."""
    out: Dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            fields = line.split(maxsplit=1)
            if not fields:
                continue
            text = "".join(fields[1].split()) if len(fields) > 1 else ""
            if fields[0] in out:
                raise CorpusError(f"{path}:{lineno}: utterance '{fields[0]}' has a second transcript line; delete one")
            if text:  # a line with an id only counts as no transcript
                out[fields[0]] = text
    return out


def speaker_of(path: Path) -> str:
    """Speaker id that prefixes the utterance id: S0002/BAC009S0002W0122.wav -> BAC009S0002.

    AISHELL names speakers by folder (S0002), but every utterance id starts with the corpus code BAC009 before
    the speaker; keeping the ids as published and taking the id up to the speaker code keeps the rule that
    utterance ids start with their speaker id.
    """
    at = path.stem.find(path.parent.name)
    if at < 0:
        raise CorpusError(f"{path}: the file name does not contain its speaker folder's name '{path.parent.name}'; "
                          f"move the file to its speaker's folder")
    return path.stem[: at + len(path.parent.name)]


def prepare(corpus_dir: Path, data_dir: Path) -> Dict[str, DataSet]:
    """Write data/{train,dev,test}; recordings without transcript are dropped and counted, as are unused lines."""
    root = locate(corpus_dir, "data_aishell", TRANSCRIPT, "AISHELL-1", "AISHELL", LAYOUT)
    transcript = read_transcript(root / TRANSCRIPT)
    packed = sorted((root / "wav").glob("*.tar.gz"))
    if packed and not all((root / "wav" / name).is_dir() for name in SETS):
        raise CorpusError(f"{root / 'wav'}: holds {len(packed)} per-speaker archives (e.g. {packed[0].name}) not "
                          f"extracted yet; run local/data.sh, or extract each one inside {root / 'wav'}")
    used = set()
    sets = {}
    for name in SETS:
        wavs = sorted((root / "wav" / name).glob("*/*.wav"))
        if not wavs:
            raise CorpusError(f"{root / 'wav' / name}: no <speaker>/<utt>.wav files; expected {LAYOUT}")
        sets[name] = ds = DataSet(name)
        dropped = 0
        for path in wavs:
            utt = path.stem
            if utt not in transcript:
                dropped += 1
                continue
            ds.add(utt, speaker_of(path), transcript[utt], abspath(path))
            used.add(utt)
        if dropped:
            log.warning("%s: dropped %d of %d recordings that have no transcript in %s", name, dropped, len(wavs),
                        TRANSCRIPT)
        write_set(data_dir, ds)
    unused = len(transcript) - len(used)
    if unused:
        log.info("%s: %d transcript lines have no recording in wav/{train,dev,test}; ignored", TRANSCRIPT, unused)
    return sets


def main(argv: Optional[List[str]] = None) -> int:
    parser = base_parser("aishell", "Kaldi data dirs train/dev/test from AISHELL-1's data_aishell/ folder.",
                         "AISHELL", "data_aishell")
    args = parser.parse_args(argv)
    return run_prepare(prepare, args.corpus_dir, args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
