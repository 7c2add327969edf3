"""Kaldi data dirs, one per LibriSpeech part (train_clean_100, ..., test_other), from LibriSpeech/<part>/."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Dict, List, Optional

from ctc_kd.data.corpora.common import CorpusError, DataSet, abspath, base_parser, locate, run_prepare, write_set

log = logging.getLogger(__name__)

PARTS = ("train-clean-100", "train-clean-360", "train-other-500", "dev-clean", "dev-other", "test-clean", "test-other")
LAYOUT = "LibriSpeech/<part>/<spk>/<chapter>/{<spk>-<chapter>-<utt>.flac, <spk>-<chapter>.trans.txt}"


def set_name(part: str) -> str:
    """Data dir name of a part: dev-clean -> dev_clean."""
    return part.replace("-", "_")


def read_part(part_dir: Path, name: str) -> DataSet:
    """All utterances of one part; the speaker id is <spk>-<chapter> as in ESPnet."""
    ds = DataSet(name)
    for trans in sorted(part_dir.glob("*/*/*.trans.txt")):
        speaker = f"{trans.parent.parent.name}-{trans.parent.name}"
        with open(trans, encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, start=1):
                fields = line.split(maxsplit=1)
                if not fields:
                    continue
                utt = fields[0]
                text = " ".join(fields[1].split()) if len(fields) > 1 else ""
                if not text:
                    raise CorpusError(f"{trans}:{lineno}: '{utt}' has no words; the archive may be damaged "
                                      f"(re-extract it)")
                if not utt.startswith(f"{speaker}-"):
                    raise CorpusError(f"{trans}:{lineno}: '{utt}' does not start with the folder's {speaker}-")
                flac = trans.parent / f"{utt}.flac"
                if not flac.is_file():
                    raise CorpusError(f"{trans}:{lineno}: {flac} does not exist; re-extract the part")
                ds.add(utt, speaker, text, abspath(flac))
    flacs = sum(1 for _ in part_dir.glob("*/*/*.flac"))
    if flacs != len(ds.wav):
        orphan = next(p for p in sorted(part_dir.glob("*/*/*.flac")) if p.stem not in ds.wav)
        raise CorpusError(f"{orphan}: no line in {orphan.parent.parent.name}-{orphan.parent.name}.trans.txt "
                          f"({flacs - len(ds.wav)} such recordings in {part_dir}); re-extract the part")
    return ds


def prepare(corpus_dir: Path, data_dir: Path, parts: List[str]) -> Dict[str, DataSet]:
    """Write data/<part with underscores> for each part."""
    root = locate(corpus_dir, "LibriSpeech", "*/*/*/*.trans.txt", "LibriSpeech", "LIBRISPEECH", LAYOUT)
    sets = {}
    for part in parts:
        if not (root / part).is_dir():
            raise CorpusError(f"{root / part}: part {part} not found; expected {LAYOUT}. Download it (local/data.sh) "
                              f"or leave it out of --parts")
        sets[part] = read_part(root / part, set_name(part))
        write_set(data_dir, sets[part])
    return sets


def main(argv: Optional[List[str]] = None) -> int:
    parser = base_parser("librispeech", "Kaldi data dirs, one per LibriSpeech part (dev-clean -> data/dev_clean).",
                         "LIBRISPEECH", "LibriSpeech")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), metavar="PART",
                        help=f"parts to prepare (default: all of {' '.join(PARTS)})")
    args = parser.parse_args(argv)
    return run_prepare(prepare, args.corpus_dir, args.data_dir, args.parts)


if __name__ == "__main__":
    sys.exit(main())
