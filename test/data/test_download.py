"""Resume, checksum, corrupt-archive and skip behaviour of ctc_kd.data.download against a local HTTP server."""
import hashlib
import http.server
import io
import logging
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from ctc_kd.data import download

PAYLOAD_FILES = {"corpus/a.txt": b"alpha\n" * 5000, "corpus/sub/b.bin": bytes(range(256)) * 800}


def make_tar_gz() -> bytes:
    """A small .tar.gz made here (about 130 kB: its hash-made tail does not compress away)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in PAYLOAD_FILES.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        blob = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(4000))
        info = tarfile.TarInfo("corpus/noise.bin")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    return buf.getvalue()


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves `files` (path -> bytes) with Range support; `cut_once[path] = n` sends n bytes once, then hangs up."""

    files: dict = {}
    cut_once: dict = {}
    ignore_range = False
    seen: list = []

    def do_GET(self):  # noqa: N802 - the http.server API
        range_header = self.headers.get("Range")
        type(self).seen.append((self.path, range_header))
        data = self.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start = 0
        if range_header and not self.ignore_range:
            start = int(range_header.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = self.cut_once.pop(self.path, None)
        self.wfile.write(body if cut is None else body[:cut])
        self.wfile.flush()

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def server():
    """A 127.0.0.1 server in a thread that answers requests until the test ends or 30 s pass, whichever is first."""
    RangeHandler.files, RangeHandler.cut_once, RangeHandler.seen = {}, {}, []
    RangeHandler.ignore_range = False
    httpd = http.server.HTTPServer(("127.0.0.1", 0), RangeHandler)
    httpd.timeout = 0.1
    stop = threading.Event()
    deadline = time.monotonic() + 30

    def loop():
        while not stop.is_set() and time.monotonic() < deadline:
            httpd.handle_request()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", RangeHandler
    stop.set()
    thread.join(5)
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_retry_wait(monkeypatch):
    monkeypatch.setattr(download, "RETRY_WAIT", 0.0)


def check_extracted(dest: Path) -> None:
    for name, data in PAYLOAD_FILES.items():
        assert (dest / name).read_bytes() == data


def test_interrupted_download_resumes_in_the_same_call(server, tmp_path):
    url, handler = server
    archive = make_tar_gz()
    handler.files["/res/corpus.tar.gz"] = archive
    handler.cut_once["/res/corpus.tar.gz"] = 50_000
    md5 = hashlib.md5(archive).hexdigest()
    path = download.fetch(f"{url}/res/corpus.tar.gz", tmp_path, md5=md5, do_extract=True)
    assert handler.seen == [("/res/corpus.tar.gz", None), ("/res/corpus.tar.gz", "bytes=50000-")]
    assert path == tmp_path / "corpus.tar.gz" and hashlib.md5(path.read_bytes()).hexdigest() == md5
    assert not (tmp_path / "corpus.tar.gz.part").exists()
    assert (tmp_path / ".corpus.tar.gz.extracted").exists()
    check_extracted(tmp_path)


def test_interrupted_download_resumes_from_the_part_file_on_the_next_run(server, tmp_path):
    url, handler = server
    archive = make_tar_gz()
    handler.files["/a.tgz"] = archive
    handler.cut_once["/a.tgz"] = 70_001
    md5 = hashlib.md5(archive).hexdigest()
    with pytest.raises(download.DownloadError, match="re-run to resume"):
        download.download(f"{url}/a.tgz", tmp_path, md5=md5, retries=0)
    assert (tmp_path / "a.tgz.part").stat().st_size == 70_001
    assert not (tmp_path / "a.tgz").exists()
    assert download.main(["--url", f"{url}/a.tgz", "--dest", str(tmp_path), "--md5", md5, "--extract"]) == 0
    assert handler.seen == [("/a.tgz", None), ("/a.tgz", "bytes=70001-")]
    assert (tmp_path / "a.tgz").read_bytes() == archive
    check_extracted(tmp_path)


def test_server_without_range_support_restarts_from_zero(server, tmp_path):
    url, handler = server
    archive = make_tar_gz()
    handler.files["/a.tar.gz"] = archive
    handler.cut_once["/a.tar.gz"] = 10_000
    handler.ignore_range = True
    path = download.download(f"{url}/a.tar.gz", tmp_path, size=len(archive))
    assert path.read_bytes() == archive
    assert [r for _, r in handler.seen] == [None, "bytes=10000-"]


def test_checksum_mismatch_is_a_clear_error(server, tmp_path, caplog):
    url, handler = server
    handler.files["/bad.tar.gz"] = make_tar_gz()
    with caplog.at_level(logging.ERROR):
        status = download.main(["--url", f"{url}/bad.tar.gz", "--dest", str(tmp_path), "--md5", "0" * 32,
                                "--extract"])
    assert status == 1
    message = caplog.records[-1].getMessage()
    assert str(tmp_path / "bad.tar.gz") in message and "delete it and re-run" in message and "md5" in message
    assert not (tmp_path / ".bad.tar.gz.extracted").exists()
    # The next run checks the file on disk again and fails the same way, without a request.
    before = len(handler.seen)
    with pytest.raises(download.DownloadError, match="delete it and re-run"):
        download.fetch(f"{url}/bad.tar.gz", tmp_path, md5="0" * 32, do_extract=True)
    assert len(handler.seen) == before


def test_truncated_tar_without_checksum_is_a_clear_error(tmp_path):
    archive = make_tar_gz()
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(archive[: len(archive) // 2])
    with pytest.raises(download.DownloadError) as err:
        download.extract(path, tmp_path / "out")
    assert str(path) in str(err.value) and "corrupt" in str(err.value) and "delete it and re-run" in str(err.value)
    assert not (tmp_path / "out" / ".cut.tar.gz.extracted").exists()


def test_size_mismatch_is_a_clear_error(tmp_path):
    path = tmp_path / "x.tar"
    path.write_bytes(b"12345")
    with pytest.raises(download.DownloadError, match=r"x\.tar is corrupt \(5 bytes, expected 6\)"):
        download.verify(path, size=6)


def test_complete_archive_is_not_fetched_again(server, tmp_path):
    url, handler = server
    archive = make_tar_gz()
    handler.files["/c.tar.gz"] = archive
    md5 = hashlib.md5(archive).hexdigest()
    download.fetch(f"{url}/c.tar.gz", tmp_path, md5=md5)
    assert len(handler.seen) == 1
    handler.seen.clear()
    download.fetch(f"{url}/c.tar.gz", tmp_path, md5=md5, do_extract=True)  # archive there: extract only
    check_extracted(tmp_path)
    (tmp_path / "c.tar.gz").unlink()  # users delete archives once extracted: the marker is enough
    download.fetch(f"{url}/c.tar.gz", tmp_path, md5=md5, do_extract=True)
    assert handler.seen == []


def test_local_archives_zip_and_remove_archive(tmp_path):
    zpath = tmp_path / "w.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("top/one.txt", "one\n")
    tpath = tmp_path / "S0002.tar.gz"
    tpath.write_bytes(make_tar_gz())
    dest = tmp_path / "out"
    assert download.main(["--archive", str(zpath), str(tpath), "--dest", str(dest), "--remove_archive"]) == 0
    assert (dest / "top" / "one.txt").read_text() == "one\n"
    check_extracted(dest)
    assert not zpath.exists() and not tpath.exists()
    assert (dest / ".w.zip.extracted").exists() and (dest / ".S0002.tar.gz.extracted").exists()
    assert download.main(["--archive", str(tpath), "--dest", str(dest)]) == 0  # marker: nothing to do


def test_an_unknown_host_fails_at_once_without_retrying(tmp_path, monkeypatch):
    """Offline (or a wrong address), waiting for a resume only delays the error that names the fix."""
    monkeypatch.setattr(download, "RETRY_WAIT", 60.0)  # a retry would make this test take minutes
    with pytest.raises(download.DownloadError, match=r"cannot download http://corpus\.invalid/a\.tar\.gz: its host is not "
                                            r"found .*offline or the address is wrong"):
        download.download("http://corpus.invalid/a.tar.gz", tmp_path / "dest")
