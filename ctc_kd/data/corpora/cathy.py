"""Kaldi data dirs train/dev/test for Cathy (CMU ARCTIC prompts), split by prompt so no test sentence is trained on."""
from __future__ import annotations

import hashlib
import logging
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional

from ctc_kd.cli import run
from ctc_kd.complete_files import written_whole
from ctc_kd.data.corpora.common import (CorpusError, DataSet, abspath, audio_duration, base_parser, locate,
                                        write_set)

log = logging.getLogger(__name__)

SPEAKER = "cathy"  # one speaker; utterance ids are cathy_<file stem>
LAYOUT = "cathy/arctic_<a|b><nnnn>_<take>.flac, each with its transcript in arctic_<a|b><nnnn>_<take>.txt"
NAME = re.compile(r"^(?P<prompt>arctic_[ab]\d{4})_(?P<take>\d+)$")
SAMPLE_RATE = 16000  # of the converted FLAC copy


def normalize_text(text: str) -> str:
    """The one transcript convention for Cathy: upper case, words only.

    Every character other than a letter, digit, apostrophe or white space becomes a space (so "alcohol-drenched"
    gives ALCOHOL DRENCHED and "Typhoid -- did" gives TYPHOID DID); an apostrophe survives only between two letters
    or digits ("I'll" keeps it, "'em" becomes EM); digits stay as they are; runs of white space become one space.
    """
    text = text.upper().replace("_", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
    return " ".join(text.split())


def split_prompts(seconds: Dict[str, float], counts: Dict[str, int], test_minutes: float = 10.0,
                  dev_fraction: float = 0.05) -> Dict[str, str]:
    """Prompt id -> set. Prompts are ranked by the SHA-1 of their id (fixed, independent of file order); test takes
    prompts in that order until its recordings last `test_minutes`, dev the next ones until it holds `dev_fraction`
    of all recordings, train the rest. All takes of one prompt thus land in one set."""
    order = sorted(seconds, key=lambda p: (hashlib.sha1(p.encode()).hexdigest(), p))
    total = sum(counts.values())
    out: Dict[str, str] = {}
    test_seconds = dev_count = 0.0
    for prompt in order:
        if test_seconds < 60 * test_minutes:
            out[prompt] = "test"
            test_seconds += seconds[prompt]
        elif dev_count < dev_fraction * total:
            out[prompt] = "dev"
            dev_count += counts[prompt]
        else:
            out[prompt] = "train"
    return out


def convert(src: Path, dest: Path) -> None:
    """Make the 16 kHz mono 16-bit FLAC copy of the GitHub originals (48 kHz stereo WAV + .txt) in `dest`."""
    import soundfile
    import torch
    import torchaudio

    wavs = sorted(src.glob("arctic_*.wav"))
    if not wavs:
        raise CorpusError(f"{src}: no arctic_*.wav files; point --convert_from at the data/ folder of "
                          f"github.com/rhasspy/dataset-voice-cathy")
    dest.mkdir(parents=True, exist_ok=True)
    made = 0
    for path in wavs:
        flac = dest / f"{path.stem}.flac"
        txt = path.with_suffix(".txt")
        if not txt.is_file():
            raise CorpusError(f"{path}: no transcript {txt.name} beside it")
        if not flac.exists():
            try:
                audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
            except (RuntimeError, OSError) as err:  # e.g. a Git LFS pointer instead of the recording
                raise CorpusError(f"{path}: not readable as audio ({err}); download the repository again") from None
            mono = torch.from_numpy(audio.mean(axis=1))
            if rate != SAMPLE_RATE:
                mono = torchaudio.functional.resample(mono, rate, SAMPLE_RATE)
            with written_whole(flac) as tmp:
                soundfile.write(str(tmp), mono.clamp(-1, 1).numpy(), SAMPLE_RATE, format="FLAC", subtype="PCM_16")
            made += 1
            if made % 200 == 0:
                log.info("converted %d of %d recordings", made, len(wavs))
        shutil.copyfile(txt, dest / txt.name)
    log.info("%s: %d recordings at %d Hz mono FLAC (%d converted now)", dest, len(wavs), SAMPLE_RATE, made)


def prepare(corpus_dir: Path, data_dir: Path, test_minutes: float = 10.0, dev_fraction: float = 0.05
            ) -> Dict[str, DataSet]:
    """Write data/{train,dev,test} (split by prompt, see split_prompts) and return them."""
    root = locate(corpus_dir, "cathy", "arctic_*.flac", "Cathy", "CATHY", LAYOUT)
    recordings = []  # (prompt, stem, path, seconds, text)
    for path in sorted(root.glob("arctic_*.flac")):
        match = NAME.match(path.stem)
        if match is None:
            raise CorpusError(f"{path}: the name must be arctic_<a|b><nnnn>_<take>.flac; rename or move it away")
        txt = path.with_suffix(".txt")
        if not txt.is_file():
            raise CorpusError(f"{path}: its transcript {txt} is missing; restore it or move the recording away")
        text = normalize_text(txt.read_text(encoding="utf-8"))
        if not text:
            raise CorpusError(f"{txt}: no words in the transcript; fix it or move the recording away")
        recordings.append((match["prompt"], path.stem, path, audio_duration(path), text))
    seconds: Dict[str, float] = {}
    counts: Dict[str, int] = {}
    for prompt, _, _, duration, _ in recordings:
        seconds[prompt] = seconds.get(prompt, 0.0) + duration
        counts[prompt] = counts.get(prompt, 0) + 1
    split = split_prompts(seconds, counts, test_minutes, dev_fraction)
    sets = {name: DataSet(name) for name in ("train", "dev", "test")}
    set_seconds = {name: 0.0 for name in sets}
    for prompt, stem, path, duration, text in recordings:
        sets[split[prompt]].add(f"{SPEAKER}_{stem}", SPEAKER, text, abspath(path))
        set_seconds[split[prompt]] += duration
    if not sets["train"].utt2spk:
        raise CorpusError(f"{root}: only {len(recordings)} recordings, too few for a {test_minutes} minute test set; "
                          f"lower --test_minutes")
    for name, ds in sets.items():
        log.info("%s: %d prompts", name, sum(1 for p in split.values() if p == name))
        write_set(data_dir, ds, seconds=set_seconds[name])
    return sets


def main(argv: Optional[List[str]] = None) -> int:
    parser = base_parser("cathy", "Kaldi data dirs train/dev/test from cathy/arctic_*.flac + .txt, split by prompt.",
                         "CATHY", "cathy")
    parser.add_argument("--test_minutes", type=float, default=10.0, help="audio in the test set (default 10)")
    parser.add_argument("--dev_fraction", type=float, default=0.05, help="share of recordings in dev (default 0.05)")
    parser.add_argument("--convert_from", type=Path,
                        help="first convert the GitHub originals (data/arctic_*.wav, 48 kHz stereo) found in this "
                             "folder into CORPUS_DIR/cathy/*.flac (16 kHz mono); done files are skipped")
    args = parser.parse_args(argv)

    def body():
        if args.convert_from is not None:
            convert(args.convert_from, args.corpus_dir / "cathy")
        prepare(args.corpus_dir, args.data_dir, args.test_minutes, args.dev_fraction)

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
