"""LibriSpeech: Cathy recordings arranged as the seven LibriSpeech parts, through the librispeech and
librispeech_100 local/data.sh (per-part dirs, combined train and dev), and the errors on a damaged part."""
import logging
import os
from pathlib import Path

import pytest

from corpus_trees import build_librispeech as build
from ctc_kd.data.corpora import librispeech


@pytest.fixture(scope="module")
def corpus(corpora, tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("libri"), corpora)


def test_librispeech_data_sh_writes_parts_and_combines_train_960_and_dev(corpus, tmp_path, run_data_sh, read_datadir):
    run = run_data_sh("librispeech", tmp_path, env={"LIBRISPEECH": str(corpus)})
    assert run.returncode == 0, run.stderr
    data = tmp_path / "data"
    dev_clean = read_datadir(data / "dev_clean")
    flac = os.path.abspath(corpus / "LibriSpeech" / "dev-clean" / "1272" / "128104" / "1272-128104-0000.flac")
    assert dev_clean["wav.scp"][0] == f"1272-128104-0000 {flac}"
    assert dev_clean["text"] == ["1272-128104-0000 WILL WE EVER FORGET IT",
                                 "1272-128104-0001 GOD BLESS EM I HOPE I'LL GO ON SEEING THEM FOREVER"]
    assert dev_clean["utt2spk"] == ["1272-128104-0000 1272-128104", "1272-128104-0001 1272-128104"]
    assert dev_clean["spk2utt"] == ["1272-128104 1272-128104-0000 1272-128104-0001"]
    assert read_datadir(data / "test_other")["text"] == [
        "1688-142285-0000 HE TURNED SHARPLY AND FACED GREGSON ACROSS THE TABLE"]
    train = read_datadir(data / "train_960")
    assert [line.split()[0] for line in train["text"]] == [
        "1234-5678-0000", "1234-5678-0001", "2345-678-0000", "3456-7890-0000"]
    assert train["spk2utt"] == ["1234-5678 1234-5678-0000 1234-5678-0001", "2345-678 2345-678-0000",
                                "3456-7890 3456-7890-0000"]
    dev = read_datadir(data / "dev")
    assert [line.split()[0] for line in dev["text"]] == ["116-288045-0000", "1272-128104-0000", "1272-128104-0001"]
    assert sorted(p.name for p in data.iterdir()) == [
        "dev", "dev_clean", "dev_other", "test_clean", "test_other", "train_960", "train_clean_100",
        "train_clean_360", "train_other_500"]
    again = run_data_sh("librispeech", tmp_path, env={"LIBRISPEECH": str(corpus)})
    assert again.returncode == 0 and "data/train_960 is already combined" in again.stdout
    assert "writing data/" not in again.stdout


def test_librispeech_100_data_sh_uses_train_clean_100_alone(corpus, tmp_path, run_data_sh, read_datadir):
    run = run_data_sh("librispeech_100", tmp_path, env={"LIBRISPEECH": str(corpus)})
    assert run.returncode == 0, run.stderr
    data = tmp_path / "data"
    assert sorted(p.name for p in data.iterdir()) == [
        "dev", "dev_clean", "dev_other", "test_clean", "test_other", "train_clean_100"]
    train = read_datadir(data / "train_clean_100")
    assert train["text"] == ["1234-5678-0000 AUTHOR OF THE DANGER TRAIL PHILIP STEELS ETC",
                             "1234-5678-0001 NOT AT THIS PARTICULAR CASE TOM APOLOGIZED WHITTEMORE"]
    assert len(read_datadir(data / "dev")["text"]) == 3
    assert read_datadir(data / "test_clean")["text"] == ["1089-134686-0000 GAD YOUR LETTER CAME JUST IN TIME"]
    assert "combining data/dev_clean data/dev_other into data/dev" in run.stdout


def test_data_sh_refuses_a_missing_part_offline(corpus, tmp_path, run_data_sh):
    run = run_data_sh("librispeech", tmp_path, "--download", "false", "--parts", "dev-clean",
                      env={"LIBRISPEECH": str(tmp_path / "none")})
    assert run.returncode == 1
    assert "no LibriSpeech part dev-clean" in run.stderr and "Set LIBRISPEECH in db.sh" in run.stderr


def test_module_names_the_transcript_line_without_words(corpora, tmp_path, caplog):
    root = build(tmp_path, corpora)
    trans = root / "LibriSpeech" / "dev-clean" / "1272" / "128104" / "1272-128104.trans.txt"
    lines = trans.read_text().splitlines()
    trans.write_text(f"{lines[0]}\n1272-128104-0001 \n")
    with caplog.at_level(logging.ERROR):
        status = librispeech.main(["--corpus_dir", str(root), "--data_dir", str(tmp_path / "data"),
                                   "--parts", "dev-clean"])
    assert status == 1 and f"{trans}:2: '1272-128104-0001' has no words" in caplog.text
