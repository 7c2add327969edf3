"""Drop utterances unfit for training: too short, too long, empty transcript, or (optionally) too many tokens."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, List, Optional

import soundfile as sf

from ctc_kd.cli import run
from ctc_kd.data.datadir import DataDir, DataDirError, PathLike, restrict

log = logging.getLogger(__name__)


def count_tokens(text: str, unit: str) -> int:
    """Length of a transcript in words (whitespace-separated) or characters (a space counts, as `<space>`)."""
    if unit == "word":
        return len(text.split())
    if unit == "char":
        return len(text)
    raise DataDirError(f"unknown text unit '{unit}'; use word or char")


def _sample_rate(d: DataDir, maps: Dict[str, Dict[str, str]]) -> int:
    """The sample rate of the first file in wav.scp (formatted dirs have one rate)."""
    first = sorted(maps["wav.scp"])[0]
    path = maps["wav.scp"][first]
    try:
        return sf.info(path).samplerate
    except Exception as e:  # noqa: BLE001
        raise DataDirError(f"{d.wav_scp}: cannot read the sample rate of '{first}' ({path}: {e}); pass --fs") from None


def filter_data_dir(
    in_dir: PathLike,
    out_dir: PathLike,
    min_sec: float = 0.1,
    max_sec: float = 20.0,
    fs: Optional[int] = None,
    max_text_tokens: Optional[int] = None,
    text_unit: str = "word",
) -> Dict[str, int]:
    """Write the utterances of `in_dir` within the limits to `out_dir`; returns counts (kept, total, reasons)."""
    if Path(out_dir).resolve() == Path(in_dir).resolve():
        raise DataDirError(f"{out_dir}: output dir is the input dir; write the filtered dir to a new dir")
    d = DataDir(in_dir)
    maps = d.read_all()
    if "utt2num_samples" not in maps:
        raise DataDirError(f"{d.utt2num_samples}: missing; run `python -m ctc_kd.data.format_audio` on {in_dir} first")
    if fs is None:
        fs = _sample_rate(d, maps)
        log.info("sample rate %d Hz (from the first file of %s)", fs, d.wav_scp)
    lengths = maps["utt2num_samples"]
    counts = {"empty text": 0, "too short": 0, "too long": 0, "too many tokens": 0}
    keep = []
    for utt in sorted(maps["utt2spk"]):
        text = maps["text"].get(utt, "")
        if utt not in lengths:
            raise DataDirError(f"{d.utt2num_samples}: no line for '{utt}'; re-run format_audio or fix.py on {in_dir}")
        try:
            sec = int(lengths[utt]) / fs
        except ValueError:
            raise DataDirError(f"{d.utt2num_samples}: '{utt}' has a non-integer length '{lengths[utt]}'") from None
        if not text.strip():
            counts["empty text"] += 1
        elif sec < min_sec:
            counts["too short"] += 1
        elif sec > max_sec:
            counts["too long"] += 1
        elif max_text_tokens is not None and count_tokens(text, text_unit) > max_text_tokens:
            counts["too many tokens"] += 1
        else:
            keep.append(utt)
    total = len(maps["utt2spk"])
    summary = (f"kept {len(keep)} of {total}; dropped {counts['too short']} too short, {counts['too long']} too long, "
               f"{counts['empty text']} empty text")
    if max_text_tokens is not None:
        summary += f", {counts['too many tokens']} too many tokens"
    summary += f" (limits {min_sec:g}-{max_sec:g} s at {fs} Hz" + (
        f", at most {max_text_tokens} {text_unit}s)" if max_text_tokens is not None else ")")
    if not keep:
        raise DataDirError(f"{in_dir}: {summary}: nothing left, refusing to write an empty {out_dir} "
                           f"(check --fs and the --min_sec/--max_sec limits)")
    DataDir(out_dir).write_all(restrict(maps, keep))
    log.info("%s: %s", out_dir, summary)
    return {"kept": len(keep), "total": total, **counts}


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.filter",
        description="Copy IN_DIR to OUT_DIR without utterances that are too short/long (from utt2num_samples), have "
        "an empty transcript, or have too many tokens.",
    )
    parser.add_argument("--min_sec", type=float, default=0.1, help="shortest kept utterance in seconds")
    parser.add_argument("--max_sec", type=float, default=20.0, help="longest kept utterance in seconds")
    parser.add_argument("--fs", type=int, default=None,
                        help="sample rate of utt2num_samples (default: read from the first file of wav.scp)")
    parser.add_argument("--max_text_tokens", type=int, default=None, help="drop transcripts longer than this")
    parser.add_argument("--text_unit", choices=["word", "char"], default="word",
                        help="what --max_text_tokens counts (char counts spaces too)")
    parser.add_argument("in_dir")
    parser.add_argument("out_dir")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    return run(lambda: filter_data_dir(args.in_dir, args.out_dir, args.min_sec, args.max_sec, args.fs,
                                       args.max_text_tokens, args.text_unit) and 0)


if __name__ == "__main__":
    sys.exit(main())
