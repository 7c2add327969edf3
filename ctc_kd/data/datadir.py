"""Reading and writing Kaldi-style data directories (`<id> <value>` files sorted by id) without surprises."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from ctc_kd.complete_files import written_whole

PathLike = Union[str, os.PathLike]

# Files keyed by utterance id (one line per utterance when present).
UTT_FILES = ("text", "utt2spk", "segments", "utt2num_samples", "utt2speed", "utt2dur")
# wav.scp is keyed by recording id (== utterance id when there is no `segments`); spk2utt by speaker.
# Files every data dir must have.
REQUIRED_FILES = ("wav.scp", "text", "utt2spk", "spk2utt")
ALL_FILES = ("wav.scp", "text", "utt2spk", "spk2utt", "segments", "utt2num_samples", "utt2speed", "utt2dur")


class DataDirError(ValueError):
    """Bad input in a data dir or list file; the message names the file (and line) and says what to do."""


def iter_lines(path: PathLike) -> Iterator[Tuple[int, str, str]]:
    """Yield (line number, id, rest of the line) for every line; blank lines are an error naming the line."""
    path = Path(path)
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        raise DataDirError(f"{path}: file not found") from None
    with f:
        try:
            for lineno, line in enumerate(f, start=1):
                parts = line.rstrip().split(maxsplit=1)
                if not parts:
                    raise DataDirError(
                        f"{path}:{lineno}: empty line; every line must be '<id> <value>' (delete the line)"
                    )
                yield lineno, parts[0], parts[1] if len(parts) > 1 else ""
        except UnicodeDecodeError as e:
            raise DataDirError(f"{path}: not UTF-8 text ({e}); convert the file to UTF-8") from None


def read_kv(path: PathLike) -> Dict[str, str]:
    """Read `<id> <rest of line>` into an insertion-ordered dict; a repeated id is an error naming both lines."""
    out: Dict[str, str] = {}
    first_line: Dict[str, int] = {}
    for lineno, key, value in iter_lines(path):
        if key in out:
            raise DataDirError(
                f"{path}:{lineno}: duplicate id '{key}' (first at line {first_line[key]}); ids must be unique "
                f"(remove one of the lines, or run `python -m ctc_kd.data.fix` on the directory)"
            )
        out[key] = value
        first_line[key] = lineno
    return out


def write_lines(path: PathLike, lines: Iterable[str]) -> None:
    """Write text lines atomically (temp file + rename) so a failure never leaves a half-written file."""
    with written_whole(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")


def write_kv(path: PathLike, mapping: Mapping[str, object]) -> None:
    """Write `<id> <value>` lines sorted by id in byte order (LC_ALL=C sort), atomically."""
    lines = []
    for key in sorted(mapping):
        value = mapping[key]
        if isinstance(value, (list, tuple)):
            value = " ".join(str(v) for v in value)
        value = str(value)
        lines.append(f"{key} {value}" if value != "" else key)
    write_lines(path, lines)


def utt2spk_to_spk2utt(utt2spk: Mapping[str, str]) -> Dict[str, List[str]]:
    """Group utterances by speaker; each speaker's utterances sorted in byte order."""
    spk2utt: Dict[str, List[str]] = {}
    for utt in sorted(utt2spk):
        spk2utt.setdefault(utt2spk[utt], []).append(utt)
    return spk2utt


def spk2utt_to_utt2spk(spk2utt: Mapping[str, Union[str, List[str]]], path: Optional[PathLike] = None) -> Dict[str, str]:
    """Invert spk2utt (values either lists or space-separated strings); an utterance under two speakers is an error."""
    utt2spk: Dict[str, str] = {}
    for spk, utts in spk2utt.items():
        for utt in utts.split() if isinstance(utts, str) else utts:
            if utt in utt2spk and utt2spk[utt] != spk:
                raise DataDirError(
                    f"{path or 'spk2utt'}: utterance '{utt}' is listed under speakers '{utt2spk[utt]}' and '{spk}'; "
                    f"regenerate spk2utt from utt2spk"
                )
            utt2spk[utt] = spk
    return utt2spk


def parse_segments(segments: Mapping[str, str], path: PathLike = "segments") -> Dict[str, Tuple[str, float, float]]:
    """Turn segments values `<rec> <start> <end>` into (rec, start, end) seconds, checking 0 <= start < end."""
    out = {}
    for utt, value in segments.items():
        fields = value.split()
        if len(fields) != 3:
            raise DataDirError(
                f"{path}: line of '{utt}' must be '<utt> <recording> <start> <end>', got '{utt} {value}'"
            )
        try:
            start, end = float(fields[1]), float(fields[2])
        except ValueError:
            raise DataDirError(f"{path}: '{utt}' has non-numeric start/end '{fields[1]} {fields[2]}'") from None
        if not (0 <= start < end):
            raise DataDirError(f"{path}: '{utt}' needs 0 <= start < end, got start={fields[1]} end={fields[2]}")
        out[utt] = (fields[0], start, end)
    return out


def read_list(path: PathLike) -> List[str]:
    """Read the first token of every non-blank line (utterance or speaker lists)."""
    try:
        with open(path, encoding="utf-8") as f:
            return [line.split()[0] for line in f if line.strip()]
    except FileNotFoundError:
        raise DataDirError(f"{path}: list file not found") from None


class DataDir:
    """A Kaldi-style data directory: where its files are, and reading/writing them as a whole."""

    def __init__(self, path: PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DataDir({str(self.path)!r})"

    def file(self, name: str) -> Path:
        return self.path / name

    wav_scp = property(lambda self: self.file("wav.scp"))
    text = property(lambda self: self.file("text"))
    utt2spk = property(lambda self: self.file("utt2spk"))
    spk2utt = property(lambda self: self.file("spk2utt"))
    segments = property(lambda self: self.file("segments"))
    utt2num_samples = property(lambda self: self.file("utt2num_samples"))
    utt2speed = property(lambda self: self.file("utt2speed"))
    utt2dur = property(lambda self: self.file("utt2dur"))

    def has(self, name: str) -> bool:
        return self.file(name).is_file()

    def read(self, name: str) -> Dict[str, str]:
        return read_kv(self.file(name))

    def write(self, name: str, mapping: Mapping[str, object]) -> None:
        write_kv(self.file(name), mapping)

    def read_all(self, required: Sequence[str] = ("text", "utt2spk", "wav.scp")) -> Dict[str, Dict[str, str]]:
        """Read every known file present (spk2utt excluded: it is derived from utt2spk); `required` must exist."""
        if not self.path.is_dir():
            raise DataDirError(f"{self.path}: data directory not found")
        for name in required:
            if not self.has(name):
                raise DataDirError(f"{self.file(name)}: missing; a data dir needs {', '.join(required)}")
        return {name: self.read(name) for name in ALL_FILES if name != "spk2utt" and self.has(name)}

    def write_all(self, maps: Mapping[str, Mapping[str, object]], remove_stale: bool = True) -> None:
        """Write every file in `maps` plus spk2utt regenerated from utt2spk.

        With `remove_stale`, known data-dir files that `maps` lacks (left by an earlier run) are removed afterwards,
        so the directory never mixes old and new files.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        for name, mapping in maps.items():
            if name != "spk2utt":
                self.write(name, mapping)
        if "utt2spk" in maps:
            self.write("spk2utt", utt2spk_to_spk2utt(maps["utt2spk"]))
        if remove_stale:
            for name in ALL_FILES:
                if name not in maps and not (name == "spk2utt" and "utt2spk" in maps) and self.has(name):
                    self.file(name).unlink()


def restrict(maps: Mapping[str, Mapping[str, str]], utts: Iterable[str]) -> Dict[str, Dict[str, str]]:
    """Keep only `utts` in the per-utterance files and only the recordings they use in wav.scp."""
    keep = set(utts)
    out: Dict[str, Dict[str, str]] = {}
    for name, mapping in maps.items():
        if name in UTT_FILES:
            out[name] = {k: v for k, v in mapping.items() if k in keep}
        elif name != "spk2utt":
            out[name] = dict(mapping)
    if "wav.scp" in out:
        if "segments" in out:
            recs = {v.split()[0] for v in out["segments"].values()}
        else:
            recs = keep
        out["wav.scp"] = {k: v for k, v in out["wav.scp"].items() if k in recs}
    return out
