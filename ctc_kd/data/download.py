"""Fetch a corpus archive over HTTP(S) with resume and checksum, and unpack it once."""
import argparse
import hashlib
import http.client
import logging
import os
import socket
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import Iterable, Optional

from ctc_kd.cli import setup_logging

CHUNK = 1 << 20  # bytes read per socket call
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
RETRY_WAIT = 2.0  # seconds before the first resume; doubles on each further failure, at most 30 s

log = logging.getLogger(__name__)


class DownloadError(RuntimeError):
    """A download or extraction that cannot go on; the message says which file and what to do."""


def _corrupt(path: Path, why: str) -> DownloadError:
    """The one wording for a broken archive: name it and tell the user to delete it and re-run."""
    return DownloadError(f"{path} is corrupt ({why}); delete it and re-run to download it again")


def md5sum(path: Path) -> str:
    """The md5 hex digest of a file, read in chunks."""
    digest = hashlib.md5()  # noqa: S324 - checks a publisher's checksum, not a security boundary
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, md5: Optional[str] = None, size: Optional[int] = None) -> None:
    """Raise the corrupt-archive error when the file's md5 or size differs from the published one."""
    if size is not None and path.stat().st_size != size:
        raise _corrupt(path, f"{path.stat().st_size} bytes, expected {size}")
    if md5 is not None:
        log.info("checking the md5 of %s", path)
        got = md5sum(path)
        if got != md5.lower():
            raise _corrupt(path, f"md5 {got}, expected {md5.lower()}")


class _Progress:
    """Log bytes fetched about every 10 s (and at the end), with the rate."""

    def __init__(self, name: str, start: int, total: Optional[int]):
        self.name, self.start, self.total = name, start, total
        self.t0 = self.last = time.monotonic()

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < 10:
            return
        self.last = now
        rate = (done - self.start) / max(now - self.t0, 1e-6) / 1e6
        of = f" of {self.total / 1e6:.1f} MB ({100 * done / self.total:.0f}%)" if self.total else ""
        log.info("%s: %.1f MB%s at %.1f MB/s", self.name, done / 1e6, of, rate)


def _total_size(resp, offset: int) -> Optional[int]:
    """The full size of the resource, from Content-Range (206) or Content-Length (200)."""
    content_range = resp.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        return int(content_range.rsplit("/", 1)[1])
    length = resp.headers.get("Content-Length")
    return None if length is None else int(length) + (offset if resp.status == 206 else 0)


def _fetch_once(url: str, part: Path, timeout: float) -> bool:
    """One HTTP request continuing `part` from its size; True when the resource is complete."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "ctc-kd-download/1"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        resp = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - URLs come from the recipes
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # nothing left after offset: the .part is already whole
            return True
        raise
    with resp:
        if offset and resp.status != 206:
            log.warning("%s ignores Range requests: restarting %s from byte 0", url, part.name)
            offset = 0
        total = _total_size(resp, offset)
        if offset:
            log.info("resuming %s at %.1f MB", part.name, offset / 1e6)
        progress = _Progress(part.name, offset, total)
        done = offset
        with open(part, "ab" if offset else "wb") as out:
            while True:
                try:
                    block = resp.read(CHUNK)
                except http.client.IncompleteRead as err:
                    out.write(err.partial)
                    done += len(err.partial)
                    break
                if not block:
                    break
                out.write(block)
                done += len(block)
                progress.update(done)
        progress.update(done, final=True)
    return total is None or done >= total


def download(url: str, dest: Path, md5: Optional[str] = None, size: Optional[int] = None,
             filename: Optional[str] = None, retries: int = 5, timeout: float = 60.0) -> Path:
    """Download `url` into `dest` (resuming `<file>.part`), verify it, and return the archive path."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / (filename or Path(urllib.parse.urlparse(url).path).name)
    if target.exists():
        verify(target, md5, size)
        log.info("%s is already downloaded: not fetching it again", target)
        return target
    part = target.with_name(target.name + ".part")
    log.info("downloading %s to %s", url, target)
    for attempt in range(retries + 1):
        try:
            if _fetch_once(url, part, timeout):
                break
            why = "the connection closed early"
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            if isinstance(err, urllib.error.HTTPError) and err.code < 500:
                raise DownloadError(f"cannot download {url}: HTTP {err.code} {err.reason}") from err
            if isinstance(getattr(err, "reason", None), socket.gaierror):  # waiting will not bring a network
                raise DownloadError(f"cannot download {url}: its host is not found ({err.reason}): this machine is "
                                    "offline or the address is wrong") from err
            why = str(err)
        if attempt == retries:
            kept = f"; {part} keeps what arrived: re-run to resume" if part.exists() else ""
            raise DownloadError(f"cannot download {url} ({why}){kept}")
        wait = min(RETRY_WAIT * 2 ** attempt, 30.0)
        log.warning("%s (%s): resuming in %.0f s", part.name, why, wait)
        time.sleep(wait)
    os.replace(part, target)
    verify(target, md5, size)
    return target


def marker_path(archive: Path, dest: Path) -> Path:
    """Where extraction of `archive` into `dest` records that it finished."""
    return dest / f".{archive.name}.extracted"


def extract(archive: Path, dest: Path, remove_archive: bool = False) -> None:
    """Unpack a .tar.gz/.tgz/.tar/.zip into `dest` once (marker file), or raise the corrupt-archive error."""
    marker = marker_path(archive, dest)
    if marker.exists():
        log.info("%s is already extracted into %s (%s)", archive.name, dest, marker.name)
        return
    if not archive.name.endswith(ARCHIVE_SUFFIXES):
        raise DownloadError(f"{archive}: cannot extract, the name ends in none of {', '.join(ARCHIVE_SUFFIXES)}")
    dest.mkdir(parents=True, exist_ok=True)
    log.info("extracting %s into %s", archive, dest)
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as handle:
                handle.extractall(dest)
        else:
            with tarfile.open(archive) as handle:
                handle.extractall(dest, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as err:
        raise _corrupt(archive, f"cannot be read: {err}") from err
    except OSError as err:
        if err.errno is None:  # gzip.BadGzipFile and friends: the archive's bytes are wrong
            raise _corrupt(archive, f"cannot be read: {err}") from err
        raise DownloadError(f"cannot extract {archive} into {dest}: {err}") from err  # disk full, permissions
    marker.write_text(f"{archive.name}\n")
    if remove_archive:
        archive.unlink()
        log.info("removed %s after extracting it", archive)


def fetch(url: str, dest: Path, md5: Optional[str] = None, size: Optional[int] = None,
          do_extract: bool = False, filename: Optional[str] = None, retries: int = 5) -> Path:
    """Download (unless done) then optionally extract (unless done); returns the archive path."""
    target = dest / (filename or Path(urllib.parse.urlparse(url).path).name)
    if do_extract and marker_path(target, dest).exists():
        log.info("%s is already downloaded and extracted into %s", target.name, dest)
        return target
    target = download(url, dest, md5=md5, size=size, filename=filename, retries=retries)
    if do_extract:
        extract(target, dest)
    return target


def _parse(argv: Optional[Iterable[str]]) -> argparse.Namespace:
    """Command line of `python -m ctc_kd.data.download`."""
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.download",
        description="Download an archive with resume (<file>.part) and md5/size check, and extract it once "
                    "(marker <dest>/.<archive>.extracted). Or, with --archive, extract local archives.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="HTTP(S) address of the archive")
    source.add_argument("--archive", nargs="+", type=Path,
                        help="local archive(s) to extract into --dest (no download; implies --extract)")
    parser.add_argument("--dest", type=Path, required=True, help="folder receiving the archive and its content")
    check = parser.add_mutually_exclusive_group()
    check.add_argument("--md5", help="published md5 of the archive")
    check.add_argument("--size", type=int, help="published size of the archive in bytes")
    parser.add_argument("--extract", action="store_true", help="extract the archive into --dest")
    parser.add_argument("--remove_archive", action="store_true",
                        help="with --archive: delete each archive once it is extracted (the marker stays)")
    parser.add_argument("--filename", help="name to save the archive under (default: the URL's last part)")
    parser.add_argument("--retries", type=int, default=5, help="resumes after a dropped connection (default 5)")
    return parser.parse_args(argv)


def main(argv: Optional[Iterable[str]] = None) -> int:
    """Entry point; returns the exit status (1 with a clear message on a failed download or bad archive)."""
    args = _parse(argv)
    setup_logging()
    try:
        if args.archive:
            for archive in args.archive:
                if not archive.exists() and not marker_path(archive, args.dest).exists():
                    raise DownloadError(f"{archive} does not exist")
                extract(archive, args.dest, remove_archive=args.remove_archive)
        else:
            fetch(args.url, args.dest, md5=args.md5, size=args.size, do_extract=args.extract,
                  filename=args.filename, retries=args.retries)
    except DownloadError as err:
        log.error("%s", err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
