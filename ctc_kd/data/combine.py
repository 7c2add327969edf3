"""Combine several data dirs into one (e.g. train sets, or speed-perturbed copies); repeated ids are an error."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ctc_kd.cli import run
from ctc_kd.data.datadir import UTT_FILES, DataDir, DataDirError, PathLike

log = logging.getLogger(__name__)

REQUIRED = ("text", "utt2spk", "wav.scp")


def merge_maps(sources: Sequence[Tuple[str, Dict[str, Dict[str, str]]]]) -> Dict[str, Dict[str, str]]:
    """Merge the file maps of several dirs (named for messages); utterance ids must be disjoint.

    A recording id may repeat only with the same wav.scp value (two subsets of one corpus). A file that only some
    dirs have is dropped with a warning, except utt2speed, whose absence means speed 1.
    """
    if not sources:
        raise DataDirError("nothing to combine: give at least one input dir")
    for where, maps in sources:
        for name in REQUIRED:
            if name not in maps:
                raise DataDirError(f"{where}: has no {name}; every dir to combine needs text, utt2spk and wav.scp")
    with_segments = [w for w, m in sources if "segments" in m]
    if with_segments and len(with_segments) != len(sources):
        without = [w for w, m in sources if "segments" not in m]
        raise DataDirError(
            f"cannot combine dirs with segments ({', '.join(with_segments)}) and without ({', '.join(without)}); "
            f"run `python -m ctc_kd.data.format_audio` on the dirs with segments first (it cuts them)"
        )
    names = sorted({n for _, m in sources for n in m})
    out: Dict[str, Dict[str, str]] = {}
    for name in names:
        having = [w for w, m in sources if name in m]
        if len(having) != len(sources) and name != "utt2speed":
            log.warning("%s is only in %s; not combined (regenerate it for the combined dir)", name, ", ".join(having))
            continue
        merged: Dict[str, str] = {}
        origin: Dict[str, str] = {}
        for where, maps in sources:
            mapping = maps.get(name)
            if mapping is None:  # utt2speed missing in this dir: its utterances are at speed 1
                mapping = {u: "1.0" for u in maps["utt2spk"]}
            for key, value in mapping.items():
                if key in merged:
                    if name == "wav.scp" and "segments" in maps and merged[key] == value:
                        continue  # the same recording shared by two dirs' segments
                    kind = "recording" if name == "wav.scp" and "segments" in maps else "utterance"
                    raise DataDirError(
                        f"{Path(where) / name}: {kind} id '{key}' is also in {Path(origin[key]) / name}; ids must be "
                        f"unique across the combined dirs (give one of the dirs a prefix, or drop the repeat with "
                        f"`python -m ctc_kd.data.subset`)"
                    )
                merged[key] = value
                origin[key] = where
        out[name] = merged
    return out


def combine_data_dirs(out_dir: PathLike, in_dirs: Sequence[PathLike]) -> Dict[str, Dict[str, str]]:
    """Combine `in_dirs` into `out_dir` (written only when every check passed)."""
    out = Path(out_dir)
    for d in in_dirs:
        if Path(d).resolve() == out.resolve():
            raise DataDirError(f"{out}: output dir is also an input; write the combination to a new dir")
    sources = [(str(d), DataDir(d).read_all()) for d in in_dirs]
    merged = merge_maps(sources)
    DataDir(out).write_all({n: m for n, m in merged.items() if n in UTT_FILES or n == "wav.scp"})
    log.info("combined %d dirs into %s: %d utterances, %d speakers", len(in_dirs), out, len(merged["utt2spk"]),
             len(set(merged["utt2spk"].values())))
    return merged


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.combine",
        description="Combine data dirs into OUT_DIR; utterance ids must be unique across the inputs.",
    )
    parser.add_argument("out_dir")
    parser.add_argument("in_dirs", nargs="+")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    return run(lambda: combine_data_dirs(args.out_dir, args.in_dirs) and 0)


if __name__ == "__main__":
    sys.exit(main())
