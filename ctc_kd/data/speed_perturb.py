"""Make a speed-perturbed copy of a data dir: new ids `sp<f>-...` and a `utt2speed` file that format_audio applies.

Nothing is resampled here: wav.scp keeps the original paths, segments keep their ORIGINAL times (cut first, then
change speed), and `utt2speed` holds `<utt> <factor>`. `python -m ctc_kd.data.format_audio` applies it (Kaldi/sox
"speed": pitch and tempo change together, length becomes len/f).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ctc_kd.cli import run
from ctc_kd.data.combine import merge_maps
from ctc_kd.data.datadir import DataDir, DataDirError, PathLike

log = logging.getLogger(__name__)

DROPPED = ("utt2num_samples", "utt2dur")  # lengths change with the speed: format_audio recomputes them


def factor_prefix(factor: float) -> str:
    """The id prefix of a factor: `sp0.9-`; factor 1 keeps ids unchanged (empty prefix)."""
    return "" if factor == 1.0 else f"sp{factor:g}-"


def perturb_maps(maps: Dict[str, Dict[str, str]], factor: float) -> Dict[str, Dict[str, str]]:
    """The file maps of one speed factor: prefixed utterance, speaker and recording ids plus utt2speed."""
    p = factor_prefix(factor)
    old_speed = maps.get("utt2speed", {})
    out: Dict[str, Dict[str, str]] = {
        "text": {p + u: v for u, v in maps["text"].items()},
        "utt2spk": {p + u: p + s for u, s in maps["utt2spk"].items()},
        "wav.scp": {p + r: v for r, v in maps["wav.scp"].items()},
        "utt2speed": {p + u: f"{float(old_speed.get(u, 1.0)) * factor:g}" for u in maps["utt2spk"]},
    }
    if "segments" in maps:
        segs = {}
        for u, v in maps["segments"].items():
            rec, rest = v.split(maxsplit=1)
            segs[p + u] = f"{p}{rec} {rest}"
        out["segments"] = segs
    return out


def speed_perturb(in_dir: PathLike, out_dir: PathLike, factors: Sequence[float]) -> Dict[str, Dict[str, str]]:
    """Write to `out_dir` the union of `in_dir` perturbed by each factor."""
    if not factors:
        raise DataDirError("give at least one factor (e.g. --factors 0.9 1.0 1.1)")
    if any(f <= 0 for f in factors):
        raise DataDirError(f"speed factors must be positive, got {list(factors)}")
    if len({factor_prefix(f) for f in factors}) != len(factors):
        raise DataDirError(f"repeated speed factor in {list(factors)}")
    if Path(out_dir).resolve() == Path(in_dir).resolve():
        raise DataDirError(f"{out_dir}: output dir is the input dir; write the perturbed copy to a new dir")
    maps = DataDir(in_dir).read_all()
    dropped = [n for n in DROPPED if n in maps]
    if dropped:
        log.info("not copying %s (lengths change with speed; format_audio recomputes them)", ", ".join(dropped))
    sources = [(f"{in_dir} (speed {f:g})", perturb_maps(maps, f)) for f in factors]
    out = merge_maps(sources)
    DataDir(out_dir).write_all(out)
    log.info("%s: %d utterances (%d x factors %s)", out_dir, len(out["utt2spk"]), len(maps["utt2spk"]),
             " ".join(f"{f:g}" for f in factors))
    return out


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.speed_perturb",
        usage="%(prog)s [-h] [--factors F [F ...]] in_dir out_dir",
        description="Speed-perturbed copy of IN_DIR: ids sp<f>-<utt>, speakers sp<f>-<spk>, recordings sp<f>-<rec> "
        "for each factor f != 1 (segments keep the original times), plus utt2speed for "
        "`python -m ctc_kd.data.format_audio`.",
    )
    parser.add_argument("--factors", nargs="+", default=["0.9", "1.0", "1.1"],
                        help="speed factors (default 0.9 1.0 1.1)")
    parser.add_argument("dirs", nargs="*", metavar="in_dir out_dir", help="input and output data dirs")
    return parser


def _split_args(parser: argparse.ArgumentParser, argv: Optional[List[str]]):
    """Parse argv, letting the dirs follow `--factors 0.9 1.0 1.1` directly (argparse alone would eat them)."""
    args = parser.parse_args(argv)
    factors, dirs = [], []
    for x in args.factors:
        try:
            if dirs:
                raise ValueError
            factors.append(float(x))
        except ValueError:
            dirs.append(x)
    dirs += args.dirs
    if len(dirs) != 2:
        parser.error(f"expected in_dir and out_dir, got {dirs}")
    if not factors:
        parser.error("--factors needs at least one number")
    return factors, dirs[0], dirs[1]


def main(argv: Optional[List[str]] = None) -> int:
    parser = get_parser()
    factors, in_dir, out_dir = _split_args(parser, argv)
    return run(lambda: speed_perturb(in_dir, out_dir, factors) and 0)


if __name__ == "__main__":
    sys.exit(main())
