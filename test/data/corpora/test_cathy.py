"""Cathy: text normalisation, the prompt-level split of the real corpus, local/data.sh, and the WAV conversion."""
import os
import shutil

import numpy as np
import pytest
import soundfile

from ctc_kd.data.corpora import cathy


@pytest.mark.parametrize("raw, expected", [
    ("Author of the danger trail, Philip Steels, etc.", "AUTHOR OF THE DANGER TRAIL PHILIP STEELS ETC"),
    ("God bless 'em, I hope I'll go on seeing them forever.", "GOD BLESS EM I HOPE I'LL GO ON SEEING THEM FOREVER"),
    ("Typhoid -- did I tell you.", "TYPHOID DID I TELL YOU"),
    ("along alcohol-drenched roads.", "ALONG ALCOHOL DRENCHED ROADS"),
    ("  In 1902; the  men's  'quote'\n", "IN 1902 THE MEN'S QUOTE"),
])
def test_normalize_text(raw, expected):
    assert cathy.normalize_text(raw) == expected


def prompt(line: str) -> str:
    return line.split()[0][len("cathy_"):][:12]


def test_local_data_sh_splits_the_real_corpus_by_prompt(corpora, tmp_path, run_data_sh, read_datadir):
    # corpora/cathy: 36 recordings of 29 prompts (a0001 and a0002 three takes, a0012 two, a0015 three); prompts in
    # SHA-1 order fill test to 18 s (six prompts, 19.9 s), then dev to 15% of 36 recordings (four prompts, six takes)
    run = run_data_sh("cathy", tmp_path, "--test_minutes", "0.3", "--dev_fraction", "0.15",
                      env={"CATHY": str(corpora)})
    assert run.returncode == 0, run.stderr
    sets = {name: read_datadir(tmp_path / "data" / name) for name in ("train", "dev", "test")}
    assert [len(sets[n]["text"]) for n in ("train", "dev", "test")] == [23, 6, 7]
    prompts = {name: {prompt(line) for line in s["text"]} for name, s in sets.items()}
    assert [len(prompts[n]) for n in ("train", "dev", "test")] == [19, 4, 6]
    assert not (prompts["train"] & prompts["test"] or prompts["train"] & prompts["dev"]
                or prompts["dev"] & prompts["test"])
    assert prompts["dev"] == {"arctic_a0002", "arctic_a0007", "arctic_a0411", "arctic_a0589"}
    flac = os.path.abspath(corpora / "cathy" / "arctic_a0001_1592748574.flac")
    assert sets["train"]["wav.scp"][0] == f"cathy_arctic_a0001_1592748574 {flac}"
    assert sets["train"]["text"][:3] == [f"cathy_arctic_a0001_{t} AUTHOR OF THE DANGER TRAIL PHILIP STEELS ETC"
                                         for t in (1592748574, 1592748585, 1592748600)]
    assert sets["dev"]["text"][3] == ("cathy_arctic_a0007_1592748422 "
                                      "AND YOU ALWAYS WANT TO SEE IT IN THE SUPERLATIVE DEGREE")
    assert sets["test"]["text"][:2] == [f"cathy_arctic_a0012_{t} GREGSON SHOVED BACK HIS CHAIR AND ROSE TO HIS FEET"
                                        for t in (1592748339, 1592748350)]
    assert sets["test"]["spk2utt"][0].split()[0] == "cathy" and len(sets["test"]["spk2utt"][0].split()) == 8
    assert "data/test: 7 utterances, 1 speakers, 0.3 minutes" in run.stderr
    test_seconds = sum(soundfile.info(line.split(" ", 1)[1]).duration for line in sets["test"]["wav.scp"])
    assert 18 <= test_seconds < 20


def test_convert_makes_the_16k_mono_flac_layout(corpora, tmp_path, read_datadir):
    import torch
    import torchaudio

    src = tmp_path / "dataset-voice-cathy-master" / "data"
    src.mkdir(parents=True)
    originals = {}
    for stem in ("arctic_a0001_1592748574", "arctic_a0002_1592748530", "arctic_b0536_1592524829"):
        audio, rate = soundfile.read(str(corpora / "cathy" / f"{stem}.flac"), dtype="float32")
        originals[stem] = audio
        up = torchaudio.functional.resample(torch.from_numpy(audio), rate, 48000).numpy()
        soundfile.write(str(src / f"{stem}.wav"), np.stack([up, up], axis=1), 48000, subtype="PCM_16")
        shutil.copy(corpora / "cathy" / f"{stem}.txt", src / f"{stem}.txt")
    args = ["--corpus_dir", str(tmp_path), "--data_dir", str(tmp_path / "data"), "--convert_from", str(src),
            "--test_minutes", "0.01"]  # one prompt each in test, dev, train
    assert cathy.main(args) == 0
    for stem, audio in originals.items():
        info = soundfile.info(str(tmp_path / "cathy" / f"{stem}.flac"))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        back, _ = soundfile.read(str(tmp_path / "cathy" / f"{stem}.flac"), dtype="float32")
        assert len(back) == len(audio)
        assert np.corrcoef(back, audio)[0, 1] > 0.99
    texts = [read_datadir(tmp_path / "data" / name)["text"] for name in ("train", "dev", "test")]
    assert all(len(t) == 1 for t in texts)
    assert sorted(sum(texts, [])) == [
        "cathy_arctic_a0001_1592748574 AUTHOR OF THE DANGER TRAIL PHILIP STEELS ETC",
        "cathy_arctic_a0002_1592748530 NOT AT THIS PARTICULAR CASE TOM APOLOGIZED WHITTEMORE",
        "cathy_arctic_b0536_1592524829 TYPHOID DID I TELL YOU",
    ]


def test_module_errors_on_an_empty_transcript(corpora, tmp_path, caplog):
    folder = tmp_path / "cathy"
    folder.mkdir()
    shutil.copy(corpora / "cathy" / "arctic_a0001_1592748574.flac", folder)
    (folder / "arctic_a0001_1592748574.txt").write_text(" -- \n")
    assert cathy.main(["--corpus_dir", str(tmp_path), "--data_dir", str(tmp_path / "data")]) == 1
    assert f"{folder / 'arctic_a0001_1592748574.txt'}: no words in the transcript" in caplog.text
