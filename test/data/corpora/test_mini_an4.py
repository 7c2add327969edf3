"""mini_an4: the real ESPnet archive through local/data.sh (extraction, exact lines, held-out dev) and bad input."""
import logging
import os
import tarfile

import soundfile

from ctc_kd.data.corpora import mini_an4


def test_local_data_sh_extracts_the_archive_and_writes_the_sets(corpora, tmp_path, run_data_sh, read_datadir):
    env = {"MINI_AN4": "downloads", "MINI_AN4_ARCHIVE": str(corpora / "mini_an4" / "downloads.tar.gz")}
    run = run_data_sh("mini_an4", tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    an4 = tmp_path / "downloads" / "downloads" / "an4"
    train, dev, test = (read_datadir(tmp_path / "data" / s) for s in ("train", "dev", "test"))
    assert train["text"] == [
        "fash-an251-fash-b YES",
        "fash-an253-fash-b GO",
        "fbbh-cen8-fbbh-b MARCH THIRD NINETEEN TWENTY EIGHT",
        "mwhw-an152-mwhw-b START",
    ]
    assert train["utt2spk"] == ["fash-an251-fash-b fash", "fash-an253-fash-b fash", "fbbh-cen8-fbbh-b fbbh",
                                "mwhw-an152-mwhw-b mwhw"]
    assert train["spk2utt"] == ["fash fash-an251-fash-b fash-an253-fash-b", "fbbh fbbh-cen8-fbbh-b",
                                "mwhw mwhw-an152-mwhw-b"]
    sph = os.path.abspath(an4 / "wav" / "an4_clstk" / "mwhw" / "cen8-mwhw-b.sph")
    assert dev["wav.scp"] == [f"mwhw-cen8-mwhw-b {sph}"]
    assert dev["text"] == ["mwhw-cen8-mwhw-b ELEVEN SEVENTEEN FIFTY ONE"]
    assert test["text"] == ["fcaw-cen8-fcaw-b ELEVEN TWENTY SEVEN FIFTY SEVEN",
                            "mmxg-cen8-mmxg-b OCTOBER TWENTY FOUR NINETEEN SEVENTY"]
    info = soundfile.info(test["wav.scp"][0].split(" ", 1)[1])  # sph read directly, no sph2pipe
    assert (info.samplerate, info.channels, info.format) == (16000, 1, "NIST")
    assert "data/train: 4 utterances, 3 speakers" in run.stderr


def test_module_names_the_bad_transcription_line(corpora, tmp_path, caplog):
    with tarfile.open(corpora / "mini_an4" / "downloads.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    etc = tmp_path / "downloads" / "an4" / "etc"
    lines = (etc / "an4_train.transcription").read_text().splitlines()
    lines[1] = "<s> </s> (an253-fash-b)"
    (etc / "an4_train.transcription").write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.ERROR):
        status = mini_an4.main(["--corpus_dir", str(tmp_path / "downloads"), "--data_dir", str(tmp_path / "data")])
    assert status == 1
    assert f"{etc / 'an4_train.transcription'}:2: transcript without words" in caplog.text


def test_module_explains_a_missing_corpus(tmp_path, caplog):
    with caplog.at_level(logging.ERROR):
        assert mini_an4.main(["--corpus_dir", str(tmp_path), "--data_dir", str(tmp_path / "data")]) == 1
    assert "an4/etc/an4_{train,test}" in caplog.text and "Set MINI_AN4 in db.sh" in caplog.text
