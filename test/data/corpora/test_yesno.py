"""yesno: split and exact lines on the real corpus; local/data.sh skipping, forcing, refusing offline, downloading."""
import functools
import http.server
import logging
import os
import shutil
import tarfile
import threading

from ctc_kd.data.corpora import yesno


def test_module_writes_the_documented_split(corpora, tmp_path, read_datadir):
    corpus = corpora / "yesno"
    assert yesno.main(["--corpus_dir", str(corpus), "--data_dir", str(tmp_path / "data")]) == 0
    sets = {name: read_datadir(tmp_path / "data" / name) for name in ("train", "dev", "test")}
    assert [len(sets[n]["text"]) for n in ("train", "dev", "test")] == [42, 6, 12]
    wav = corpus / "waves_yesno"
    assert sets["train"]["text"][0] == "yesno_0_0_0_0_1_1_1_1 NO NO NO NO YES YES YES YES"
    assert sets["train"]["wav.scp"][0] == f"yesno_0_0_0_0_1_1_1_1 {os.path.abspath(wav / '0_0_0_0_1_1_1_1.wav')}"
    assert sets["train"]["utt2spk"][0] == "yesno_0_0_0_0_1_1_1_1 yesno"
    # Sorted file list: index 2 is dev, index 4 test (see yesno.split_of).
    names = sorted(p.stem for p in wav.glob("*.wav"))
    assert sets["dev"]["text"][0] == f"yesno_{names[2]} " + " ".join({"0": "NO", "1": "YES"}[d] for d in names[2][::2])
    assert sets["dev"]["text"][0] == "yesno_0_0_0_1_0_1_1_0 NO NO NO YES NO YES YES NO"
    assert sets["test"]["text"][0] == f"yesno_{names[4]} NO NO YES NO NO YES YES NO"
    assert sets["test"]["spk2utt"] == ["yesno " + " ".join(f"yesno_{n}" for i, n in enumerate(names) if i % 5 == 4)]
    utts = [line.split()[0] for s in sets.values() for line in s["text"]]
    assert sorted(utts) == [f"yesno_{n}" for n in names] and len(names) == 60


def test_module_rejects_a_file_name_that_is_not_a_transcript(corpora, tmp_path, caplog):
    folder = tmp_path / "waves_yesno"
    folder.mkdir()
    shutil.copy(corpora / "yesno" / "waves_yesno" / "0_0_0_0_1_1_1_1.wav", folder / "0_2_1.wav")
    with caplog.at_level(logging.ERROR):
        assert yesno.main(["--corpus_dir", str(tmp_path), "--data_dir", str(tmp_path / "data")]) == 1
    assert str(folder / "0_2_1.wav") in caplog.text and "0 = NO, 1 = YES" in caplog.text


def test_local_data_sh_prepares_then_skips_then_forces(corpora, tmp_path, run_data_sh, read_datadir):
    env = {"YESNO": str(corpora / "yesno")}
    first = run_data_sh("yesno", tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "data/train: 42 utterances, 1 speakers, 4.3 minutes" in first.stderr
    train = read_datadir(tmp_path / "data" / "train")
    assert train["text"][-1] == "yesno_1_1_1_1_1_1_0_0 YES YES YES YES YES YES NO NO"
    inode = (tmp_path / "data" / "train" / "text").stat().st_ino
    again = run_data_sh("yesno", tmp_path, env=env)
    assert again.returncode == 0 and "already prepared" in again.stdout
    assert (tmp_path / "data" / "train" / "text").stat().st_ino == inode
    forced = run_data_sh("yesno", tmp_path, "--force", "true", env=env)
    assert forced.returncode == 0 and (tmp_path / "data" / "train" / "text").stat().st_ino != inode
    assert read_datadir(tmp_path / "data" / "train") == train
    usage = run_data_sh("yesno", tmp_path, "--help")
    assert usage.returncode == 0 and "--download true|false" in usage.stdout


def test_local_data_sh_refuses_to_download_when_told_not_to(tmp_path, run_data_sh):
    run = run_data_sh("yesno", tmp_path, "--download", "false", env={"YESNO": str(tmp_path / "nowhere")})
    assert run.returncode == 1
    assert "--download false" in run.stderr and "Set YESNO in db.sh" in run.stderr
    assert not (tmp_path / "data").exists()


def test_local_data_sh_downloads_from_the_mirror(corpora, tmp_path, run_data_sh, read_datadir):
    site = tmp_path / "site"
    (site / "1").mkdir(parents=True)
    with tarfile.open(site / "1" / "waves_yesno.tar.gz", "w:gz", compresslevel=1) as tar:
        tar.add(corpora / "yesno" / "waves_yesno", arcname="waves_yesno")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        recipe = tmp_path / "recipe"
        run = run_data_sh("yesno", recipe, "--mirror", f"http://127.0.0.1:{httpd.server_address[1]}",
                          env={"YESNO": "downloads"})
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert run.returncode == 0, run.stderr
    assert (recipe / "downloads" / ".waves_yesno.tar.gz.extracted").exists()
    assert len(list((recipe / "downloads" / "waves_yesno").glob("*.wav"))) == 60
    test = read_datadir(recipe / "data" / "test")
    wav = (recipe / "downloads" / "waves_yesno" / "0_0_1_0_0_1_1_0.wav").resolve()
    assert test["wav.scp"][0] == f"yesno_0_0_1_0_0_1_1_0 {wav}"
