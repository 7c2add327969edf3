"""Files written whole or not at all, and the check that a torch file on disk is whole (a kill mid-save is not)."""
import contextlib
import os
import zipfile
from pathlib import Path
from typing import Iterator, Optional


def partial_name(path) -> Path:
    """Where `path` is written before it is complete: same folder and suffix (ESPnet's packer reads the suffix)."""
    path = Path(path)
    return path.with_name(f"{path.stem}.partial{path.suffix}")


@contextlib.contextmanager
def written_whole(path) -> Iterator[Path]:
    """Yield a temporary name to write; rename it to `path` only when the block ends without an error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_name(path)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()


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
