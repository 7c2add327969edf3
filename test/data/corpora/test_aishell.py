"""AISHELL-1: a tiny copy of the real layout (per-speaker .tar.gz in wav/) with espeak-ng Mandarin, through
local/data.sh; transcripts without audio and audio without transcript are counted, not fatal."""
import io
import logging
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Dict

import numpy as np
import pytest
import soundfile

from ctc_kd.data.corpora import aishell

# utterance id -> (set, transcript as AISHELL writes it: words separated by spaces); None = audio only.
UTTERANCES = {
    "BAC009S0002W0122": ("train", "而 对 楼市 成交 抑制 作用 最 大 的 限 购"),
    "BAC009S0002W0123": ("train", "也 成为 地方 政府 的 眼中 钉"),
    "BAC009S0002W0124": ("train", None),
    "BAC009S0003W0121": ("train", "我们 明天 早上 去 公园 散步"),
    "BAC009S0724W0121": ("dev", "今天 的 天气 非常 好"),
    "BAC009S0764W0121": ("test", "请 把 窗户 打开"),
    "BAC009S0764W0122": ("test", "他 在 北京 工作 了 三 年"),
}
TRANSCRIPT_ONLY = {"BAC009S0002W0999": "这 句 话 没有 录音"}
SPOKEN_FOR_AUDIO_ONLY = "没有 文本 的 录音"


def synthesize(text: str, tmp: Path) -> np.ndarray:
    """16 kHz int16 Mandarin speech from espeak-ng fed tone-numbered pinyin (espeak writes 22.05 kHz)."""
    import torch
    import torchaudio
    from pypinyin import Style, lazy_pinyin

    pinyin = " ".join(lazy_pinyin(text.replace(" ", ""), style=Style.TONE3, neutral_tone_with_five=True))
    wav = tmp / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(wav), pinyin], check=True, timeout=30)
    audio, rate = soundfile.read(str(wav), dtype="float32")
    audio = torchaudio.functional.resample(torch.from_numpy(audio), rate, 16000).numpy()
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16)


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Dict[str, bytes]:
    """utterance id -> 16 kHz WAV file bytes, synthesised once for the module."""
    tmp = tmp_path_factory.mktemp("espeak")
    out = {}
    for utt, (_, text) in UTTERANCES.items():
        buf = io.BytesIO()
        soundfile.write(buf, synthesize(text or SPOKEN_FOR_AUDIO_ONLY, tmp), 16000, format="WAV", subtype="PCM_16")
        out[utt] = buf.getvalue()
    return out


def build_corpus(root: Path, speech: Dict[str, bytes]) -> Path:
    """<root>/data_aishell as in data_aishell.tgz: transcript/, wav/<speaker>.tar.gz of <set>/<speaker>/*.wav."""
    top = root / "data_aishell"
    (top / "transcript").mkdir(parents=True)
    (top / "wav").mkdir()
    lines = {u: t for u, (_, t) in UTTERANCES.items() if t} | TRANSCRIPT_ONLY
    (top / "transcript" / "aishell_transcript_v0.8.txt").write_text(
        "".join(f"{u} {lines[u]}\n" for u in sorted(lines)), encoding="utf-8")
    speakers = sorted({u[6:11] for u in UTTERANCES})
    for spk in speakers:
        with tarfile.open(top / "wav" / f"{spk}.tar.gz", "w:gz") as tar:
            for utt, (name, _) in UTTERANCES.items():
                if utt[6:11] == spk:
                    info = tarfile.TarInfo(f"{name}/{spk}/{utt}.wav")
                    info.size = len(speech[utt])
                    tar.addfile(info, io.BytesIO(speech[utt]))
    return root


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
        assert aishell.main(["--corpus-dir", str(corpus), "--data-dir", str(tmp_path / "data")]) == 1
    assert "4 per-speaker archives (e.g. S0002.tar.gz) not extracted yet" in caplog.text


def test_local_data_sh_without_corpus_and_without_download(tmp_path, run_data_sh):
    run = run_data_sh("aishell", tmp_path, "--download", "false", env={"AISHELL": str(tmp_path / "none")})
    assert run.returncode == 1 and "Set AISHELL in db.sh" in run.stderr
