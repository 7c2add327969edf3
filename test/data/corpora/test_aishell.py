"""AISHELL-1: a tiny copy of the real layout (per-speaker .tar.gz in wav/) with espeak-ng Mandarin, through
local/data.sh; transcripts without audio and audio without transcript are counted, not fatal."""
import logging
import os
from typing import Dict

import pytest
import soundfile

from corpus_trees import aishell_speech, build_aishell as build_corpus
from ctc_kd.data.corpora import aishell


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Dict[str, bytes]:
    """utterance id -> 16 kHz WAV file bytes, synthesised once for the module."""
    return aishell_speech(tmp_path_factory.mktemp("espeak"))


def test_local_data_sh_unpacks_speakers_and_writes_character_transcripts(speech, tmp_path, run_data_sh,
                                                                          read_datadir):
    corpus = build_corpus(tmp_path / "corpus", speech)
    wav = corpus / "data_aishell" / "wav"
    run = run_data_sh("aishell", tmp_path / "recipe", env={"AISHELL": str(corpus)})
    assert run.returncode == 0, run.stderr
    assert not list(wav.glob("*.tar.gz"))  # extracted once, then removed; the markers stay
    assert sorted(p.name for p in wav.glob(".*.extracted")) == [
        ".S0002.tar.gz.extracted", ".S0003.tar.gz.extracted", ".S0724.tar.gz.extracted", ".S0764.tar.gz.extracted"]
    data = tmp_path / "recipe" / "data"
    train, dev, test = (read_datadir(data / s) for s in ("train", "dev", "test"))
    assert train["text"] == ["BAC009S0002W0122 而对楼市成交抑制作用最大的限购", "BAC009S0002W0123 也成为地方政府的眼中钉",
                             "BAC009S0003W0121 我们明天早上去公园散步"]
    assert train["utt2spk"] == ["BAC009S0002W0122 BAC009S0002", "BAC009S0002W0123 BAC009S0002",
                                "BAC009S0003W0121 BAC009S0003"]
    assert train["spk2utt"] == ["BAC009S0002 BAC009S0002W0122 BAC009S0002W0123", "BAC009S0003 BAC009S0003W0121"]
    first = os.path.abspath(wav / "train" / "S0002" / "BAC009S0002W0122.wav")
    assert train["wav.scp"][0] == f"BAC009S0002W0122 {first}"
    assert dev["text"] == ["BAC009S0724W0121 今天的天气非常好"]
    assert test["text"] == ["BAC009S0764W0121 请把窗户打开", "BAC009S0764W0122 他在北京工作了三年"]
    info = soundfile.info(test["wav.scp"][1].split(" ", 1)[1])
    assert (info.samplerate, info.channels) == (16000, 1) and info.duration > 1.0
    assert "train: dropped 1 of 4 recordings that have no transcript" in run.stderr
    assert "1 transcript lines have no recording" in run.stderr
    again = run_data_sh("aishell", tmp_path / "recipe", "--force", "true", env={"AISHELL": str(corpus)})
    assert again.returncode == 0 and "extracting the per-speaker" not in again.stdout


def test_module_asks_for_the_speaker_archives_to_be_extracted(speech, tmp_path, caplog):
    corpus = build_corpus(tmp_path, speech)
    with caplog.at_level(logging.ERROR):
        assert aishell.main(["--corpus_dir", str(corpus), "--data_dir", str(tmp_path / "data")]) == 1
    assert "4 per-speaker archives (e.g. S0002.tar.gz) not extracted yet" in caplog.text


def test_local_data_sh_without_corpus_and_without_download(tmp_path, run_data_sh):
    run = run_data_sh("aishell", tmp_path, "--download", "false", env={"AISHELL": str(tmp_path / "none")})
    assert run.returncode == 1 and "Set AISHELL in db.sh" in run.stderr
