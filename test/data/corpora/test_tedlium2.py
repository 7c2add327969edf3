"""TED-LIUM 2: talks made of Cathy recordings as NIST sphere files with stm transcripts (real times, an ignored
segment, a <sil> segment, a (2) mark), through local/data.sh; the segments cut exactly the original audio."""
import logging
import os

import numpy as np
import pytest
import soundfile

from corpus_trees import TEDLIUM_RATE as RATE, build_tedlium2
from ctc_kd.data.corpora import tedlium2


@pytest.fixture(scope="module")
def corpus(corpora, tmp_path_factory):
    """<root>/TEDLIUM_release2/<set>/{sph,stm}/<talk>.*; returns (root, {utt id: original samples})."""
    root = tmp_path_factory.mktemp("tedlium")
    return root, build_tedlium2(root, corpora)


def test_local_data_sh_writes_segments_that_cut_the_original_audio(corpus, tmp_path, run_data_sh, read_datadir):
    root, originals = corpus
    run = run_data_sh("tedlium2", tmp_path, env={"TEDLIUM2": str(root)})
    assert run.returncode == 0, run.stderr
    train, dev, test = (read_datadir(tmp_path / "data" / s) for s in ("train", "dev", "test"))
    sph = os.path.abspath(root / "TEDLIUM_release2" / "train" / "sph" / "CathyArctic_2020A.sph")
    assert train["wav.scp"] == [f"CathyArctic_2020A {sph}"]
    first, second = sorted(u for u in originals if u.startswith("CathyArctic_2020A"))
    assert first == "CathyArctic_2020A-0000050-" + first[-7:] and train["text"] == [
        f"{first} author of the danger trail philip steels etc",
        f"{second} for the twentieth time that evening the two men shook hands",
    ]
    assert train["utt2spk"] == [f"{first} CathyArctic_2020A", f"{second} CathyArctic_2020A"]
    assert train["segments"][0] == f"{first} CathyArctic_2020A 0.50 {int(first[-7:]) // 100}.{first[-2:]}"
    assert dev["text"] == [f"{next(u for u in originals if u.startswith('CathyArctic_2020B'))} i was sick once typhoid"]
    assert [line.split(" ", 1)[1] for line in test["text"]] == ["typhoid <unk> i tell you",
                                                                 "i 'm playing a single hand"]
    for data in (train, dev, test):
        recordings = dict(line.split(" ", 1) for line in data["wav.scp"])
        for line in data["segments"]:
            utt, rec, start, end = line.split()
            audio, rate = soundfile.read(recordings[rec], dtype="int16", start=round(float(start) * RATE),
                                         stop=round(float(end) * RATE))
            original = originals[utt]
            assert rate == RATE and np.array_equal(audio[: len(original)], original)
            assert not audio[len(original):].any()
    assert "train: skipped 1 stm segments (ignore_time_segment_in_scoring)" in run.stderr
    assert "train: skipped 3 stm segments (no words besides <sil>)" in run.stderr
    assert "data/train: 2 utterances, 1 speakers" in run.stderr


def test_module_reports_a_talk_without_audio(corpus, tmp_path, caplog):
    root, _ = corpus
    copy = tmp_path / "TEDLIUM_release2"
    for name in ("train", "dev", "test"):
        (copy / name / "sph").mkdir(parents=True)
        (copy / name / "stm").mkdir()
        for stm in (root / "TEDLIUM_release2" / name / "stm").glob("*.stm"):
            (copy / name / "stm" / stm.name).write_text(stm.read_text())
    with caplog.at_level(logging.ERROR):
        assert tedlium2.main(["--corpus_dir", str(tmp_path), "--data_dir", str(tmp_path / "data")]) == 1
    assert f"{copy / 'train' / 'stm' / 'CathyArctic_2020A.stm'}:2: talk 'CathyArctic_2020A' has no audio" in caplog.text


def test_clean_words_and_centiseconds():
    assert tedlium2.clean_words(["<sil>", "that(2)", "<unk>", "(3)", "it's"]) == ["that", "<unk>", "it's"]
    assert tedlium2.centiseconds("17.82") == 1782 and tedlium2.centiseconds("0.29") == 29
