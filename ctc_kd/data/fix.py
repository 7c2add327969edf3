"""Repair a data dir: sort every file, drop duplicate lines, keep only complete utterances, regenerate spk2utt."""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ctc_kd.cli import run
from ctc_kd.data.datadir import ALL_FILES, DataDir, DataDirError, PathLike, restrict, spk2utt_to_utt2spk

log = logging.getLogger(__name__)


def _read_lenient(path: Path) -> Tuple[Dict[str, str], int]:
    """Read `<id> <value>` keeping the first line of a repeated id and skipping blank lines; returns (map, #dropped)."""
    out: Dict[str, str] = {}
    dropped = 0
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip().split(maxsplit=1)
                if not parts:
                    continue
                if parts[0] in out:
                    dropped += 1
                    continue
                out[parts[0]] = parts[1] if len(parts) > 1 else ""
    except UnicodeDecodeError as e:
        raise DataDirError(f"{path}: not UTF-8 text ({e}); convert the file to UTF-8") from None
    return out, dropped


def _bad_segment(value: str) -> bool:
    fields = value.split()
    if len(fields) != 3:
        return True
    try:
        start, end = float(fields[1]), float(fields[2])
    except ValueError:
        return True
    return not (0 <= start < end)


def fix_data_dir(in_dir: PathLike, out_dir: Optional[PathLike] = None, backup: bool = True) -> Dict[str, int]:
    """Fix `in_dir` (in place, or into `out_dir`); returns counts {'kept', 'total', <reason>: n}."""
    src = DataDir(in_dir)
    dst = DataDir(out_dir) if out_dir is not None else src
    if not src.path.is_dir():
        raise DataDirError(f"{src.path}: data directory not found")
    maps: Dict[str, Dict[str, str]] = {}
    for name in ALL_FILES:
        if src.has(name):
            maps[name], dups = _read_lenient(src.file(name))
            if dups:
                log.warning("%s: dropped %d repeated ids (kept the first line of each)", src.file(name), dups)
    if "utt2spk" not in maps and "spk2utt" in maps:
        log.info("%s: no utt2spk; deriving it from spk2utt", src.path)
        maps["utt2spk"] = spk2utt_to_utt2spk(maps["spk2utt"], src.spk2utt)
    maps.pop("spk2utt", None)
    for name in ("text", "utt2spk", "wav.scp"):
        if name not in maps:
            raise DataDirError(f"{src.file(name)}: missing; a data dir needs text, utt2spk and wav.scp")

    # Per-utterance reasons to drop.
    reasons: Dict[str, List[str]] = {}
    wav = maps["wav.scp"]
    if "segments" in maps:
        audio = {u for u, v in maps["segments"].items() if not _bad_segment(v) and v.split()[0] in wav}
        for u, v in maps["segments"].items():
            if _bad_segment(v):
                reasons.setdefault(u, []).append("bad segments line")
        audio_name = "audio (segments with a recording in wav.scp)"
    else:
        audio = set(wav)
        audio_name = "audio (wav.scp)"
    spk_ok = {u for u, s in maps["utt2spk"].items() if len(s.split()) == 1}
    required = [("text", set(maps["text"])), ("utt2spk", spk_ok), (audio_name, audio)]
    required += [(n, set(maps[n])) for n in ("utt2num_samples", "utt2speed", "utt2dur") if n in maps]
    union = set().union(*(s for _, s in required))
    for name, present in required:
        for u in union.difference(present):
            reasons.setdefault(u, []).append(f"no {name}")
    keep = union.difference(reasons)
    counts = Counter(r for rs in reasons.values() for r in rs)
    if not keep:
        raise DataDirError(
            f"{src.path}: no utterance is present in all of text, utt2spk and {audio_name}; nothing written "
            f"(check that the ids in these files match)"
        )
    if reasons:
        log.warning("%s: dropped %d of %d utterances: %s", src.path, len(reasons), len(union),
                    ", ".join(f"{n} {r}" for r, n in sorted(counts.items())))
        for u in sorted(reasons)[:5]:
            log.info("  e.g. dropped '%s': %s", u, ", ".join(reasons[u]))
    fixed = restrict(maps, keep)
    if backup and dst.path.resolve() == src.path.resolve():
        bak = src.path / ".backup"
        bak.mkdir(exist_ok=True)
        for name in list(ALL_FILES):
            if src.has(name):
                shutil.copy2(src.file(name), bak / name)
        log.info("original files copied to %s", bak)
    dst.write_all(fixed)
    log.info("%s: %d utterances, %d speakers", dst.path, len(keep), len(set(fixed["utt2spk"].values())))
    return {"kept": len(keep), "total": len(union), **counts}


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.fix",
        description="Sort every file of a data dir, keep only utterances present in text, utt2spk and "
        "wav.scp/segments (and utt2num_samples/utt2speed when present), regenerate spk2utt. In place by default "
        "(originals copied to DIR/.backup/).",
    )
    parser.add_argument("data_dir")
    parser.add_argument("--out_dir", default=None, help="write the fixed dir here instead of in place")
    parser.add_argument("--no_backup", action="store_true", help="do not copy the originals to DIR/.backup/")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    return run(lambda: fix_data_dir(args.data_dir, args.out_dir, backup=not args.no_backup) and 0)


if __name__ == "__main__":
    sys.exit(main())
