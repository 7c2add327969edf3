"""Check that a Kaldi-style data dir is complete, sorted and consistent before any stage relies on it."""
from __future__ import annotations

import argparse
import logging
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ctc_kd.cli import run
from ctc_kd.data.datadir import ALL_FILES, REQUIRED_FILES, DataDirError, PathLike, utt2spk_to_spk2utt

log = logging.getLogger(__name__)

# kind -> (what is wrong, what to do); reported in this order.
KINDS = {
    "missing": (
        "required file missing or empty", "create it (spk2utt: `python -m ctc_kd.data.fix DIR` regenerates it)"
    ),
    "encoding": ("file is not UTF-8", "convert it to UTF-8"),
    "blank": ("blank lines", "delete the blank lines"),
    "duplicate": ("duplicate ids", "keep one line per id (`python -m ctc_kd.data.fix DIR` keeps the first)"),
    "unsorted": (
        "lines not sorted by id in byte order", "sort with `python -m ctc_kd.data.fix DIR` (or LC_ALL=C sort)"
    ),
    "format": ("malformed lines", "correct the lines to the Kaldi format '<id> <value>'"),
    "segments": ("bad segments", "segments lines are '<utt> <recording> <start> <end>' with 0 <= start < end seconds"),
    "empty_text": (
        "empty transcripts",
        "remove these utterances, or pass --allow_empty_text if `python -m ctc_kd.data.filter` will drop them",
    ),
    "invisible": (
        "invisible or decomposed characters (each would become a token of its own)",
        "normalise the text to NFC, replace no-break and other special spaces by a space, and delete zero-width "
        "spaces, word joiners and byte-order marks (in local/data.sh or the corpus), then re-run stage 1",
    ),
    "space": (
        "audio paths with spaces (Kaldi-style tools split wav.scp and ESPnet's loaders on them)",
        "move the corpus to a folder without spaces, or link it from one (ln -s '<folder>' /data/corpus), and point "
        "the recipe's db.sh variable there; then re-run stage 1",
    ),
    "mismatch": (
        "utterances not present in every file",
        "run `python -m ctc_kd.data.fix DIR` to keep only utterances present in text, utt2spk and wav.scp/segments",
    ),
    "spk2utt": ("spk2utt disagrees with utt2spk", "regenerate spk2utt with `python -m ctc_kd.data.fix DIR`"),
}


@dataclass
class ValidationReport:
    """What a successful validation found."""

    num_utts: int
    num_spks: int
    has_segments: bool
    warnings: List[str] = field(default_factory=list)


class _Problems:
    """Collects problems by kind so the report shows counts and the first few offending lines of each."""

    def __init__(self):
        self.by_kind: Dict[str, List[str]] = {k: [] for k in KINDS}

    def add(self, kind: str, message: str) -> None:
        self.by_kind[kind].append(message)

    def __bool__(self) -> bool:
        return any(self.by_kind.values())

    def report(self, where: Path, max_show: int) -> str:
        kinds = [k for k, msgs in self.by_kind.items() if msgs]
        total = sum(len(self.by_kind[k]) for k in kinds)
        out = [f"{where} is not a valid data dir ({total} problems):"]
        for kind in kinds:
            msgs = self.by_kind[kind]
            what, fix = KINDS[kind]
            out.append(f"- {len(msgs)} x {what}; fix: {fix}")
            out.extend(f"    {m}" for m in msgs[:max_show])
            if len(msgs) > max_show:
                out.append(f"    ... and {len(msgs) - max_show} more")
        return "\n".join(out)


def _scan(path: Path, problems: _Problems) -> Tuple[Dict[str, str], Dict[str, int]]:
    """Read one file leniently, recording blank, duplicate and unsorted lines; returns values and line numbers."""
    values: Dict[str, str] = {}
    lines: Dict[str, int] = {}
    prev: Optional[str] = None
    unsorted_reported = False
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                parts = line.rstrip().split(maxsplit=1)
                if not parts:
                    problems.add("blank", f"{path}:{lineno}: blank line")
                    continue
                key = parts[0]
                if key in values:
                    problems.add("duplicate", f"{path}:{lineno}: duplicate id '{key}' (first at line {lines[key]})")
                    prev = key
                    continue
                if prev is not None and key < prev and not unsorted_reported:
                    problems.add("unsorted", f"{path}:{lineno}: id '{key}' comes after '{prev}'")
                    unsorted_reported = True  # one line per file is enough: the whole file needs sorting
                values[key] = parts[1] if len(parts) > 1 else ""
                lines[key] = lineno
                prev = key
    except UnicodeDecodeError as e:
        problems.add("encoding", f"{path}: {e}")
    return values, lines


# Characters that look like nothing (or like a space) but are tokens of their own; ZWJ/ZWNJ are left alone, as some
# scripts spell words with them.
INVISIBLE = {"\u200b", "\u2060", "\ufeff", "\u00ad"}


def invisible_characters(value: str) -> List[str]:
    """What in a transcript or id is invisible or not NFC, as 'U+XXXX NAME at column N' descriptions."""
    found = []
    for column, char in enumerate(value, start=1):
        if char in INVISIBLE or (unicodedata.category(char) == "Zs" and char != " "):
            found.append(f"U+{ord(char):04X} {unicodedata.name(char, '?')} at column {column}")
    if not found and unicodedata.normalize("NFC", value) != value:
        marks = [c for c in value if unicodedata.combining(c)]
        found.append(f"not NFC: combining U+{ord(marks[0]):04X} {unicodedata.name(marks[0], '?')} composes with the "
                     "letter before it" if marks else "not NFC")
    return found


def _check_values(name: str, path: Path, values: Dict[str, str], lines: Dict[str, int], problems: _Problems,
                  allow_empty_text: bool) -> None:
    """Per-file checks of the value column."""
    for key, value in values.items():
        at = f"{path}:{lines[key]}"
        for what in invisible_characters(key) + (invisible_characters(value) if name == "text" else []):
            problems.add("invisible", f"{at}: '{key}': {what}")
        if name == "text":
            if not value and not allow_empty_text:
                problems.add("empty_text", f"{at}: '{key}' has an empty transcript")
        elif name == "utt2spk":
            if len(value.split()) != 1:
                problems.add("format", f"{at}: '{key}' must be followed by exactly one speaker id, got '{value}'")
        elif name in ("wav.scp", "spk2utt"):
            if not value:
                problems.add("format", f"{at}: '{key}' has no value")
            elif name == "wav.scp" and not value.endswith("|") and len(value.split()) > 1:
                problems.add("space", f"{at}: '{key}': {value}")
        elif name == "segments":
            fields = value.split()
            if len(fields) != 3:
                problems.add("segments", f"{at}: expected '<utt> <recording> <start> <end>', got '{key} {value}'")
                continue
            try:
                start, end = float(fields[1]), float(fields[2])
            except ValueError:
                problems.add("segments", f"{at}: start/end '{fields[1]} {fields[2]}' are not numbers")
                continue
            if start < 0 or not start < end:
                problems.add("segments", f"{at}: '{key}' needs 0 <= start < end, got {fields[1]} {fields[2]}")
        elif name == "utt2num_samples":
            if not value.isdigit() or int(value) <= 0:
                problems.add("format", f"{at}: '{key}' needs a positive integer sample count, got '{value}'")
        elif name in ("utt2speed", "utt2dur"):
            try:
                ok = float(value) > 0
            except ValueError:
                ok = False
            if not ok:
                problems.add("format", f"{at}: '{key}' needs a positive number, got '{value}'")


def validate_data_dir(path: PathLike, allow_empty_text: bool = False, max_show: int = 5) -> ValidationReport:
    """Check a data dir; raise DataDirError listing every kind of problem with its first offending lines."""
    d = Path(path)
    if not d.is_dir():
        raise DataDirError(f"{d}: data directory not found")
    problems = _Problems()
    files: Dict[str, Dict[str, str]] = {}
    lines: Dict[str, Dict[str, int]] = {}
    for name in ALL_FILES:
        p = d / name
        if not p.is_file() or p.stat().st_size == 0:
            if name in REQUIRED_FILES:
                problems.add("missing", f"{p}: {'empty' if p.is_file() else 'missing'}")
            continue
        files[name], lines[name] = _scan(p, problems)
        _check_values(name, p, files[name], lines[name], problems, allow_empty_text)

    def at(name: str, key: str) -> str:
        return f"{d / name}:{lines[name][key]}"

    # Every utterance must have a transcript, a speaker and audio.
    per_utt = [n for n in ("text", "utt2spk") if n in files]
    audio_file = "segments" if "segments" in files else "wav.scp"
    if audio_file in files:
        per_utt.append(audio_file)
    if "segments" in files and "wav.scp" in files:
        for utt, value in files["segments"].items():
            rec = value.split()[0] if value else ""
            if rec not in files["wav.scp"]:
                problems.add("mismatch", f"{at('segments', utt)}: recording '{rec}' of '{utt}' is not in wav.scp")
    union = set().union(*(files[n] for n in per_utt)) if per_utt else set()
    for name in per_utt:
        missing = union.difference(files[name])
        for utt in sorted(missing):
            where = next(n for n in per_utt if utt in files[n])
            problems.add("mismatch", f"{at(where, utt)}: '{utt}' has no line in {name}")
    # Optional per-utterance files must cover exactly the utterances of utt2spk.
    if "utt2spk" in files:
        for name in ("utt2num_samples", "utt2speed", "utt2dur"):
            if name in files:
                for utt in sorted(set(files["utt2spk"]).difference(files[name])):
                    problems.add("mismatch", f"{at('utt2spk', utt)}: '{utt}' has no line in {name}")
                for utt in sorted(set(files[name]).difference(files["utt2spk"])):
                    problems.add("mismatch", f"{at(name, utt)}: '{utt}' is not in utt2spk")
    # spk2utt must be utt2spk inverted.
    warnings: List[str] = []
    num_spks = 0
    if "utt2spk" in files:
        expected = utt2spk_to_spk2utt({u: s.split()[0] for u, s in files["utt2spk"].items() if s.split()})
        num_spks = len(expected)
        if "spk2utt" in files:
            for spk, value in files["spk2utt"].items():
                if spk not in expected:
                    problems.add("spk2utt", f"{at('spk2utt', spk)}: speaker '{spk}' has no utterance in utt2spk")
                elif set(value.split()) != set(expected[spk]) or len(value.split()) != len(expected[spk]):
                    problems.add("spk2utt", f"{at('spk2utt', spk)}: utterances of '{spk}' differ from utt2spk")
            for spk in sorted(set(expected).difference(files["spk2utt"])):
                problems.add("spk2utt", f"{d / 'spk2utt'}: speaker '{spk}' of utt2spk is missing")
        unprefixed = [u for u, s in files["utt2spk"].items() if s and not u.startswith(s.split()[0])]
        if unprefixed:
            warnings.append(
                f"{d / 'utt2spk'}: {len(unprefixed)} utterance ids do not start with their speaker id "
                f"(e.g. '{unprefixed[0]}' of '{files['utt2spk'][unprefixed[0]]}'); sorting by utterance will not "
                f"group speakers"
            )
    if problems:
        raise DataDirError(problems.report(d, max_show))
    return ValidationReport(
        num_utts=len(files.get("utt2spk", {})), num_spks=num_spks, has_segments="segments" in files, warnings=warnings
    )


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.validate",
        description="Check a Kaldi-style data dir: required files, sorting, unique ids, consistency between files.",
    )
    parser.add_argument("data_dir", help="data directory (wav.scp, text, utt2spk, spk2utt[, segments])")
    parser.add_argument("--allow_empty_text", action="store_true",
                        help="accept empty transcripts (for dirs that ctc_kd.data.filter will clean later)")
    parser.add_argument("--max_show", type=int, default=5, help="offending lines shown per kind of problem")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)

    def body():
        report = validate_data_dir(args.data_dir, allow_empty_text=args.allow_empty_text, max_show=args.max_show)
        for w in report.warnings:
            log.warning("%s", w)
        log.info("%s is valid: %d utterances, %d speakers%s", args.data_dir, report.num_utts, report.num_spks,
                 ", with segments" if report.has_segments else "")

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
