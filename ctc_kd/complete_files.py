"""Files written whole or not at all, and the check that a torch file on disk is whole (a kill mid-save is not)."""
import contextlib
import os
import secrets
import zipfile
from pathlib import Path
from typing import Iterator, Optional


def new_partial_file(path) -> Path:
    """An empty file where `path` is written before it is complete: beside it, hidden from the shell's globs (such as
    asr_kd.sh's `*.pth`), unique to its writer (jobs may write one file at once), with `path`'s suffix (ESPnet's
    packer reads it) and the permissions open() would give (the umask applies; tempfile's files are private)."""
    path = Path(path)
    while True:
        candidate = path.with_name(f".{path.stem}.partial.{secrets.token_hex(4)}{path.suffix}")
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return candidate
        except FileExistsError:
            continue


@contextlib.contextmanager
def written_whole(path) -> Iterator[Path]:
    """Yield a temporary name to write; rename it to `path` only when the block ends without an error, so a kill, a
    full disk or an exception never leaves a file that looks finished. Every file the toolkit writes goes through it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_partial_file(path)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path, text: str) -> None:
    """Write a text file (UTF-8) whole or not at all."""
    with written_whole(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def zip_problem(path) -> Optional[str]:
    """What is wrong with a zip file (missing, empty, cut short, a corrupt member), or None when it is whole.

    torch.save files and ESPnet's packed models are zip archives whose directory is at the end, so a file cut short
    by a kill or a full disk has none; every member's CRC is checked too.
    """
    path = Path(path)
    if not path.is_file():
        return f"{path} does not exist"
    size = path.stat().st_size
    if size == 0:
        return f"{path} is empty"
    if not zipfile.is_zipfile(path):
        return f"{path} is cut short or is not a zip/torch file ({size} bytes, no complete zip directory)"
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f"{path} is damaged ({error})"
    if bad is not None:
        return f"{path} is damaged (member {bad} fails its checksum)"
    return None
