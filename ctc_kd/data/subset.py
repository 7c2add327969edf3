"""Take a subset of a data dir: the first N utterances, or the utterances or speakers listed in a file."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from ctc_kd.cli import run
from ctc_kd.data.datadir import DataDir, DataDirError, PathLike, read_list, restrict

log = logging.getLogger(__name__)


def subset_data_dir(
    in_dir: PathLike,
    out_dir: PathLike,
    first: Optional[int] = None,
    utt_list: Optional[PathLike] = None,
    spk_list: Optional[PathLike] = None,
) -> Dict[str, Dict[str, str]]:
    """Write the chosen subset of `in_dir` to `out_dir`; exactly one of first/utt_list/spk_list is given."""
    if sum(x is not None for x in (first, utt_list, spk_list)) != 1:
        raise DataDirError("give exactly one of --first, --utt_list, --spk_list")
    if Path(out_dir).resolve() == Path(in_dir).resolve():
        raise DataDirError(f"{out_dir}: output dir is the input dir; write the subset to a new dir")
    maps = DataDir(in_dir).read_all()
    utt2spk = maps["utt2spk"]
    if first is not None:
        if first <= 0:
            raise DataDirError(f"--first must be positive, got {first}")
        source = f"--first {first}"
        chosen: Iterable[str] = sorted(utt2spk)[:first]
        if first > len(utt2spk):
            log.warning("%s has only %d utterances (< --first %d); taking all", in_dir, len(utt2spk), first)
    else:
        source = utt_list if utt_list is not None else spk_list
        wanted = read_list(source)
        known = set(utt2spk) if utt_list is not None else set(utt2spk.values())
        unknown = [x for x in wanted if x not in known]
        if unknown:
            log.warning("%s: %d of %d ids are not in %s (e.g. '%s'); ignored", source, len(unknown), len(wanted),
                        in_dir, unknown[0])
        wanted_set = set(wanted)
        if utt_list is not None:
            chosen = [u for u in utt2spk if u in wanted_set]
        else:
            chosen = [u for u, s in utt2spk.items() if s in wanted_set]
    chosen = list(chosen)
    if not chosen:
        raise DataDirError(f"{source}: selects no utterance of {in_dir}; nothing written (check the ids)")
    out = restrict(maps, chosen)
    DataDir(out_dir).write_all(out)
    log.info("%s: %d of %d utterances, %d speakers", out_dir, len(chosen), len(utt2spk),
             len(set(out["utt2spk"].values())))
    return out


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.subset",
        description="Copy a subset of IN_DIR to OUT_DIR (all files filtered consistently, spk2utt regenerated).",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--first", type=int, help="the first N utterances in sorted order")
    group.add_argument("--utt_list", help="file whose lines start with the utterance ids to keep")
    group.add_argument("--spk_list", help="file whose lines start with the speaker ids to keep")
    parser.add_argument("in_dir")
    parser.add_argument("out_dir")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    return run(lambda: subset_data_dir(args.in_dir, args.out_dir, args.first, args.utt_list, args.spk_list) and 0)


if __name__ == "__main__":
    sys.exit(main())
