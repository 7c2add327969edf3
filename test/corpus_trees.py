"""Tiny corpus trees in the exact raw layouts of AISHELL-1, TED-LIUM 2, LibriSpeech and speechocean762, from real or
synthetic audio.

Shared by the data-preparation tests (test/data/corpora) and the whole-recipe tests (test/egs2), so both read the
same layouts. Each builder takes the utterances to lay out, with the defaults the data-preparation tests check.
"""
import io
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Dict, Optional

import numpy as np
import soundfile

from ctc_kd.data.corpora.cathy import normalize_text

# ---- AISHELL-1: data_aishell/{transcript/aishell_transcript_v0.8.txt, wav/<speaker>.tar.gz} ----------------------
# utterance id -> (set, transcript as AISHELL writes it: words separated by spaces); None = audio only.
AISHELL_UTTERANCES = {
    "BAC009S0002W0122": ("train", "而 对 楼市 成交 抑制 作用 最 大 的 限 购"),
    "BAC009S0002W0123": ("train", "也 成为 地方 政府 的 眼中 钉"),
    "BAC009S0002W0124": ("train", None),
    "BAC009S0003W0121": ("train", "我们 明天 早上 去 公园 散步"),
    "BAC009S0724W0121": ("dev", "今天 的 天气 非常 好"),
    "BAC009S0764W0121": ("test", "请 把 窗户 打开"),
    "BAC009S0764W0122": ("test", "他 在 北京 工作 了 三 年"),
}
AISHELL_TRANSCRIPT_ONLY = {"BAC009S0002W0999": "这 句 话 没有 录音"}
SPOKEN_FOR_AUDIO_ONLY = "没有 文本 的 录音"


def synthesize_mandarin(text: str, tmp: Path) -> np.ndarray:
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


def aishell_speech(tmp: Path, utterances=AISHELL_UTTERANCES) -> Dict[str, bytes]:
    """utterance id -> 16 kHz WAV file bytes of its transcript (or of SPOKEN_FOR_AUDIO_ONLY) spoken by espeak-ng."""
    out = {}
    for utt, (_, text) in utterances.items():
        buf = io.BytesIO()
        soundfile.write(buf, synthesize_mandarin(text or SPOKEN_FOR_AUDIO_ONLY, tmp), 16000, format="WAV",
                        subtype="PCM_16")
        out[utt] = buf.getvalue()
    return out


def build_aishell(root: Path, speech: Dict[str, bytes], utterances=AISHELL_UTTERANCES,
                  transcript_only=AISHELL_TRANSCRIPT_ONLY) -> Path:
    """<root>/data_aishell as in data_aishell.tgz: transcript/, wav/<speaker>.tar.gz of <set>/<speaker>/*.wav."""
    top = root / "data_aishell"
    (top / "transcript").mkdir(parents=True)
    (top / "wav").mkdir()
    lines = {u: t for u, (_, t) in utterances.items() if t} | dict(transcript_only)
    (top / "transcript" / "aishell_transcript_v0.8.txt").write_text(
        "".join(f"{u} {lines[u]}\n" for u in sorted(lines)), encoding="utf-8")
    for spk in sorted({u[6:11] for u in utterances}):
        with tarfile.open(top / "wav" / f"{spk}.tar.gz", "w:gz") as tar:
            for utt, (name, _) in utterances.items():
                if utt[6:11] == spk:
                    info = tarfile.TarInfo(f"{name}/{spk}/{utt}.wav")
                    info.size = len(speech[utt])
                    tar.addfile(info, io.BytesIO(speech[utt]))
    return root


# ---- TED-LIUM 2: TEDLIUM_release2/<set>/{sph/<talk>.sph, stm/<talk>.stm} -----------------------------------------
TEDLIUM_RATE = 16000
TEDLIUM_STEP = TEDLIUM_RATE // 100  # segment times are in hundredths of a second
TEDLIUM_GAP = 50 * TEDLIUM_STEP  # 0.5 s of silence before each recording
TEDLIUM_LABEL = "<o,f0,female>"
# talk -> (set, [(Cathy recording, stm words or None for a recording covered by an ignored segment)])
TEDLIUM_TALKS = {
    "CathyArctic_2020A": ("train", [
        ("arctic_a0001_1592748574", "author of the(2) danger trail philip steels etc"),
        ("arctic_a0002_1592748530", None),
        ("arctic_a0003_1592748500", "for the twentieth time that evening the two men shook hands"),
    ]),
    "CathyArctic_2020B": ("dev", [("arctic_a0589_1592701466", "i was sick <sil> once typhoid")]),
    "CathyArctic_2020C": ("test", [("arctic_b0536_1592524829", "typhoid <unk> i tell you"),
                                   ("arctic_a0004_1592748478", "i 'm playing a single hand")]),
}


def cents(samples: int) -> str:
    """A sample count as stm seconds with two decimals."""
    return f"{samples // TEDLIUM_STEP // 100}.{samples // TEDLIUM_STEP % 100:02d}"


def build_tedlium2(root: Path, corpora: Path, talks=TEDLIUM_TALKS) -> Dict[str, np.ndarray]:
    """<root>/TEDLIUM_release2/<set>/{sph,stm}/<talk>.*, each talk a NIST sphere file of Cathy recordings with
    silence between them and an stm with <sil> segments; returns {utterance id: the recording's samples}."""
    originals = {}
    for talk, (name, recordings) in talks.items():
        for sub in ("sph", "stm"):
            (root / "TEDLIUM_release2" / name / sub).mkdir(parents=True, exist_ok=True)
        pieces, stm = [], []
        at = 0
        for stem, words in recordings:
            audio, _ = soundfile.read(str(corpora / "cathy" / f"{stem}.flac"), dtype="int16")
            span = -(-len(audio) // TEDLIUM_STEP) * TEDLIUM_STEP  # whole hundredths
            stm.append(f"{talk} 1 {talk} {cents(at)} {cents(at + TEDLIUM_GAP)} {TEDLIUM_LABEL} <sil>")
            start, end = at + TEDLIUM_GAP, at + TEDLIUM_GAP + span
            text = words if words is not None else "ignore_time_segment_in_scoring"
            stm.append(f"{talk} 1 {talk} {cents(start)} {cents(end)} {TEDLIUM_LABEL} {text}")
            if words is not None:
                originals[f"{talk}-{start // TEDLIUM_STEP:07d}-{end // TEDLIUM_STEP:07d}"] = audio
            pieces += [np.zeros(TEDLIUM_GAP, np.int16), audio, np.zeros(span - len(audio), np.int16)]
            at = end
        soundfile.write(str(root / "TEDLIUM_release2" / name / "sph" / f"{talk}.sph"), np.concatenate(pieces),
                        TEDLIUM_RATE, format="NIST", subtype="PCM_16")
        (root / "TEDLIUM_release2" / name / "stm" / f"{talk}.stm").write_text("\n".join(stm) + "\n")
    return originals


def cathy_words(corpora: Path, stem: str) -> str:
    """A Cathy recording's transcript in lower case without punctuation, as TED-LIUM's stm files write words."""
    return normalize_text((corpora / "cathy" / f"{stem}.txt").read_text()).lower()


# ---- LibriSpeech: LibriSpeech/<part>/<speaker>/<chapter>/{<utt>.flac, <speaker>-<chapter>.trans.txt} -------------
# part -> (speaker, chapter, [Cathy recordings in utterance order])
LIBRISPEECH_LAYOUT = {
    "train-clean-100": ("1234", "5678", ["arctic_a0001_1592748574", "arctic_a0002_1592748530"]),
    "train-clean-360": ("2345", "678", ["arctic_a0003_1592748500"]),
    "train-other-500": ("3456", "7890", ["arctic_a0004_1592748478"]),
    "dev-clean": ("1272", "128104", ["arctic_a0005_1592748459", "arctic_a0006_1592748435"]),
    "dev-other": ("116", "288045", ["arctic_a0007_1592748422"]),
    "test-clean": ("1089", "134686", ["arctic_a0008_1592748408"]),
    "test-other": ("1688", "142285", ["arctic_a0009_1592748391"]),
}


def build_librispeech(root: Path, corpora: Path, layout: Optional[dict] = None) -> Path:
    """<root>/LibriSpeech/<part>/<spk>/<chapter>/{<spk>-<chapter>-<nnnn>.flac, <spk>-<chapter>.trans.txt}."""
    for part, (spk, chapter, stems) in (layout or LIBRISPEECH_LAYOUT).items():
        folder = root / "LibriSpeech" / part / spk / chapter
        folder.mkdir(parents=True)
        lines = []
        for i, stem in enumerate(stems):
            shutil.copy(corpora / "cathy" / f"{stem}.flac", folder / f"{spk}-{chapter}-{i:04d}.flac")
            text = normalize_text((corpora / "cathy" / f"{stem}.txt").read_text())
            lines.append(f"{spk}-{chapter}-{i:04d} {text}")
        (folder / f"{spk}-{chapter}.trans.txt").write_text("\n".join(lines) + "\n")
    return root


# ---- speechocean762: speechocean762/{train,test}/{text,wav.scp,utt2spk,spk2utt,spk2age,spk2gender},
# WAVE/SPEAKER<nnnn>/<utt>.WAV, resource/lexicon.txt -------------------------------------------------------------------
# half -> speaker -> (age, gender, [Cathy recordings]); utterance ids are the speaker's number in 5 digits + 4 digits
SPEECHOCEAN762_LAYOUT = {
    "train": {"0001": (8, "m", ["arctic_a0001_1592748574", "arctic_a0002_1592748530"]),
              "0006": (25, "f", ["arctic_a0003_1592748500", "arctic_a0004_1592748478"]),
              "0024": (21, "m", ["arctic_a0005_1592748459"]),
              "1027": (9, "f", ["arctic_a0006_1592748435", "arctic_a0007_1592748422"])},
    "test": {"0003": (6, "m", ["arctic_a0008_1592748408", "arctic_a0009_1592748391"]),
             "0012": (30, "f", ["arctic_a0010_1592748378"])},
}
SPEECHOCEAN762_UNLISTED = "arctic_a0011_1592748364"  # a WAV under WAVE/ that no list names, as the corpus has


def speechocean762_utt(spk: str, index: int) -> str:
    """The corpus's utterance id: 000010011 is speaker 0001's utterance 0011."""
    return f"{int(spk):05d}{index:04d}"


def build_speechocean762(root: Path, corpora: Path, layout=SPEECHOCEAN762_LAYOUT) -> Path:
    """<root>/speechocean762 as speechocean762.tar.gz unpacks: tab-separated text, wav.scp (paths relative to the
    corpus folder), spk2age and spk2gender, space-separated utt2spk and spk2utt, upper-case WAV files (16 kHz mono
    16-bit, converted from Cathy's FLAC), and the README and lexicon the corpus ships."""
    top = root / "speechocean762"
    (top / "resource").mkdir(parents=True)
    (top / "README.md").write_text("# speechocean762 (tiny copy for tests)\n")
    (top / "resource" / "lexicon.txt").write_text("A\tAH0\nAUTHOR\tAO1 TH ER0\n")

    def wave(spk: str, utt: str, stem: str) -> str:
        rel = f"WAVE/SPEAKER{spk}/{utt}.WAV"
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        audio, rate = soundfile.read(str(corpora / "cathy" / f"{stem}.flac"), dtype="int16")
        soundfile.write(str(top / rel), audio, rate, format="WAV", subtype="PCM_16")
        return rel

    for half, speakers in layout.items():
        folder = top / half
        folder.mkdir()
        files = {name: [] for name in ("text", "wav.scp", "utt2spk", "spk2utt", "spk2age", "spk2gender")}
        for spk, (age, gender, stems) in sorted(speakers.items()):
            utts = [speechocean762_utt(spk, 11 + 12 * i) for i in range(len(stems))]
            for utt, stem in zip(utts, stems):
                files["text"].append(f"{utt}\t{normalize_text((corpora / 'cathy' / f'{stem}.txt').read_text())}")
                files["wav.scp"].append(f"{utt}\t{wave(spk, utt, stem)}")
                files["utt2spk"].append(f"{utt} {spk}")
            files["spk2utt"].append(f"{spk} {' '.join(utts)}")
            files["spk2age"].append(f"{spk}\t{age}")
            files["spk2gender"].append(f"{spk}\t{gender}")
        for name, lines in files.items():
            (folder / name).write_text("".join(line + "\n" for line in lines))
    first = sorted(layout["train"])[0]
    wave(first, speechocean762_utt(first, 9999), SPEECHOCEAN762_UNLISTED)
    return top
