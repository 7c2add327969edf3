"""Kaldi data dirs train/dev/test for speechocean762 (OpenSLR 101): the official halves, dev = train speakers held out."""
from __future__ import annotations

import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ctc_kd.cli import run
from ctc_kd.data.corpora.common import CorpusError, DataSet, abspath, base_parser, locate, write_set

log = logging.getLogger(__name__)

HALVES = ("train", "test")  # the corpus's own Kaldi-style folders
HALF_FILES = ("text", "wav.scp", "utt2spk", "spk2age", "spk2gender")
LAYOUT = ("speechocean762/{train,test}/{text,wav.scp,utt2spk,spk2age,spk2gender} with wav.scp naming "
          "WAVE/SPEAKER<nnnn>/<utt>.WAV relative to speechocean762/")
WORDS = re.compile(r"^[A-Z']+( [A-Z']+)*$")  # the corpus's transcripts: upper-case words, apostrophes, one space
SAMPLE_RATE = 16000
ADULT_AGE = 18  # speakers younger than this count as children when dev is balanced
DEV_SPEAKERS = 10


@dataclass
class Half:
    """One official half as the corpus gives it, checked: transcripts, audio paths, speakers and their metadata."""

    name: str
    text: Dict[str, str]  # corpus utterance id -> words
    wav: Dict[str, Path]  # corpus utterance id -> audio file
    utt2spk: Dict[str, str]
    age: Dict[str, int]  # speaker -> age in years
    gender: Dict[str, str]  # speaker -> f or m


def read_table(path: Path) -> List[Tuple[int, str, str]]:
    """(line number, key, value) of a Kaldi-style `<key> <value>` file (tab or space separated); blank lines skipped.

    A key without a value or a key given twice is an error naming the line.
    """
    if not path.is_file():
        raise CorpusError(f"{path}: missing; expected {LAYOUT}. Extract the corpus archive again")
    rows, seen = [], {}
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            fields = line.split(maxsplit=1)
            if not fields:
                continue
            if len(fields) < 2 or not fields[1].strip():
                raise CorpusError(f"{path}:{lineno}: '{fields[0]}' has no value; restore the line from the archive "
                                  f"or delete the utterance from every file of its folder")
            if fields[0] in seen:
                raise CorpusError(f"{path}:{lineno}: '{fields[0]}' is already on line {seen[fields[0]]}; delete one")
            seen[fields[0]] = lineno
            rows.append((lineno, fields[0], fields[1].strip()))
    return rows


def check_words(path: Path, lineno: int, utt: str, text: str) -> str:
    """The transcript with runs of white space made single, or an error naming the line and the odd characters."""
    words = " ".join(text.split())
    if not WORDS.match(words):
        odd = sorted({c for c in words if not ("A" <= c <= "Z" or c in "' ")})
        raise CorpusError(f"{path}:{lineno}: the transcript of '{utt}' has characters other than A-Z, ' and space "
                          f"({' '.join(repr(c) for c in odd) or 'an apostrophe alone'}); fix the line (the corpus "
                          f"writes upper-case words) or delete the utterance")
    return words


def read_half(root: Path, name: str) -> Half:
    """Read and check one official half: every utterance has words, audio that exists and a speaker with metadata."""
    folder = root / name
    tables = {f: read_table(folder / f) for f in HALF_FILES}
    text = {utt: check_words(folder / "text", n, utt, value) for n, utt, value in tables["text"]}
    utt2spk = {utt: spk for _, utt, spk in tables["utt2spk"]}
    wav = {}
    for lineno, utt, rel in tables["wav.scp"]:
        path = root / rel
        if not path.is_file():
            raise CorpusError(f"{folder / 'wav.scp'}:{lineno}: {path} does not exist (wav.scp paths are relative to "
                              f"{root}); extract the corpus archive again")
        wav[utt] = path
    for file, keys in (("wav.scp", wav), ("utt2spk", utt2spk)):
        missing = sorted(set(text) ^ set(keys))
        if missing:
            where = "text" if missing[0] in keys else file
            raise CorpusError(f"{folder / where}: no line for utterance '{missing[0]}' ({len(missing)} utterances are "
                              f"not in all of text, wav.scp and utt2spk); restore {folder} from the archive")
    age, gender = {}, {}
    for lineno, spk, value in tables["spk2age"]:
        if not value.isdigit():
            raise CorpusError(f"{folder / 'spk2age'}:{lineno}: age '{value}' of speaker {spk} is not a whole number "
                              f"of years; correct the line or restore the file from the archive")
        age[spk] = int(value)
    for lineno, spk, value in tables["spk2gender"]:
        if value not in ("f", "m"):
            raise CorpusError(f"{folder / 'spk2gender'}:{lineno}: gender '{value}' of speaker {spk} is not f or m; "
                              f"correct the line or restore the file from the archive")
        gender[spk] = value
    speakers = set(utt2spk.values())
    for file, known in (("spk2age", age), ("spk2gender", gender)):
        odd = sorted(speakers ^ set(known))
        if odd:
            what = "no line for" if odd[0] in speakers else "a line but no utterance in utt2spk for"
            raise CorpusError(f"{folder / file}: {what} speaker {odd[0]} ({len(odd)} speakers differ between "
                              f"utt2spk and {file}); restore {folder} from the archive")
    return Half(name, text, wav, utt2spk, age, gender)


def group_of(age: int, gender: str) -> str:
    """The balance group of a speaker: child or adult, and gender."""
    return f"{'child' if age < ADULT_AGE else 'adult'}-{gender}"


def choose_dev_speakers(age: Dict[str, int], gender: Dict[str, str], count: int = DEV_SPEAKERS) -> List[str]:
    """`count` speakers of the train half for dev, the same on every machine, with the children/adults and gender mix
    of the whole half.

    Speakers fall into four groups (child under 18 or adult, f or m). Each group gets count x its share of the
    speakers, rounded down; the seats left go to the groups with the largest remainders (ties: group name). Within
    a group speakers are taken in the order of the SHA-1 of their id.
    """
    if not 0 < count < len(age):
        raise CorpusError(f"cannot hold out {count} of the {len(age)} train speakers for dev; choose 1 to "
                          f"{len(age) - 1}")
    groups: Dict[str, List[str]] = {}
    for spk in age:
        groups.setdefault(group_of(age[spk], gender[spk]), []).append(spk)
    share = {g: count * len(members) / len(age) for g, members in groups.items()}
    seats = {g: int(s) for g, s in share.items()}
    for g in sorted(share, key=lambda g: (-(share[g] - seats[g]), g))[:count - sum(seats.values())]:
        seats[g] += 1
    chosen = []
    for g, members in groups.items():
        chosen += sorted(members, key=lambda s: (hashlib.sha1(s.encode()).hexdigest(), s))[:seats[g]]
    return sorted(chosen)


def read_dev_speakers(path: Path, train: Half) -> List[str]:
    """Speaker ids of a dev list (one per line; `#` starts a comment), each checked against the train half."""
    if not path.is_file():
        raise CorpusError(f"{path}: no such dev speaker list; give an existing file or leave --dev_speakers out")
    speakers: List[str] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        spk = fields[0]
        if spk not in train.age:
            raise CorpusError(f"{path}:{lineno}: speaker '{spk}' is not in the official train half "
                              f"(train/spk2age); correct the id or delete the line")
        if spk in speakers:
            raise CorpusError(f"{path}:{lineno}: speaker '{spk}' is listed twice; delete one line")
        speakers.append(spk)
    if not speakers or len(speakers) >= len(train.age):
        raise CorpusError(f"{path}: lists {len(speakers)} of the {len(train.age)} train speakers; dev needs at least "
                          f"one and train must keep one")
    return speakers


def describe(half: Half, speakers: List[str]) -> str:
    """One line per speaker: `<id>  # age <n>, <f|m>, <group>`, the format of a dev speaker list."""
    return "".join(f"{s}  # age {half.age[s]}, {half.gender[s]}, {group_of(half.age[s], half.gender[s])}\n"
                   for s in speakers)


def checked_seconds(path: Path) -> float:
    """Seconds of a recording, from its header; one that is unreadable or not 16 kHz mono is an error naming it."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except (RuntimeError, OSError) as err:
        raise CorpusError(f"{path}: not readable as audio ({err}); restore the file from the archive") from None
    if (info.samplerate, info.channels) != (SAMPLE_RATE, 1):
        raise CorpusError(f"{path}: {info.samplerate} Hz with {info.channels} channels, the corpus is {SAMPLE_RATE} Hz "
                          f"mono; restore the file from the archive")
    return info.duration


def build_set(name: str, half: Half, speakers: List[str]) -> Tuple[DataSet, float]:
    """The data set of these speakers' utterances (ids `<speaker>_<corpus id>`) and its seconds of audio."""
    ds, seconds, keep = DataSet(name), 0.0, set(speakers)
    for utt in sorted(half.text):
        spk = half.utt2spk[utt]
        if spk not in keep:
            continue
        ds.add(f"{spk}_{utt}", spk, half.text[utt], abspath(half.wav[utt]))
        seconds += checked_seconds(half.wav[utt])
    return ds, seconds


def prepare(corpus_dir: Path, data_dir: Path, dev_speakers: Optional[Path] = None,
            num_dev_speakers: int = DEV_SPEAKERS) -> Dict[str, DataSet]:
    """Write data/{train,dev,test}: test = the official test half, dev = the listed (or chosen) train speakers."""
    root = locate(corpus_dir, "speechocean762", "train/wav.scp", "speechocean762", "SPEECHOCEAN762", LAYOUT)
    train, test = (read_half(root, name) for name in HALVES)
    shared = sorted(set(train.age) & set(test.age))
    if shared:
        raise CorpusError(f"{root}: speaker {shared[0]} is in both train/ and test/ ({len(shared)} such speakers); "
                          f"the official halves are speaker-disjoint: restore them from the archive")
    if dev_speakers is not None:
        dev = read_dev_speakers(dev_speakers, train)
    else:
        dev = choose_dev_speakers(train.age, train.gender, num_dev_speakers)
    log.info("dev speakers (%s):\n%s", dev_speakers or "chosen by choose_dev_speakers", describe(train, dev).rstrip())
    rest = sorted(set(train.utt2spk.values()) - set(dev))
    sets = {}
    for name, half, speakers in (("train", train, rest), ("dev", train, dev),
                                 ("test", test, sorted(set(test.utt2spk.values())))):
        sets[name], seconds = build_set(name, half, speakers)
        write_set(data_dir, sets[name], seconds=seconds)
    texts = {name: set(ds.text.values()) for name, ds in sets.items()}
    log.info("distinct sentences: train %d, dev %d, test %d; test sentences also in train: %d, dev in train: %d",
             len(texts["train"]), len(texts["dev"]), len(texts["test"]), len(texts["test"] & texts["train"]),
             len(texts["dev"] & texts["train"]))
    return sets


def main(argv: Optional[List[str]] = None) -> int:
    parser = base_parser("speechocean762", "Kaldi data dirs train/dev/test of speechocean762: the official test "
                         "half as test, train speakers held out as dev, the other train speakers as train.",
                         "SPEECHOCEAN762", "speechocean762")
    parser.add_argument("--dev_speakers", type=Path,
                        help="file listing the train-half speakers that form dev, one id per line (# comments); "
                             "default: --num_dev_speakers chosen by the balanced rule (choose_dev_speakers)")
    parser.add_argument("--num_dev_speakers", type=int, default=DEV_SPEAKERS,
                        help=f"speakers the rule holds out when no list is given (default {DEV_SPEAKERS})")
    parser.add_argument("--print_dev_speakers", action="store_true",
                        help="only print the rule's choice in the --dev_speakers file format, write nothing")
    args = parser.parse_args(argv)

    def body():
        if args.print_dev_speakers:
            root = locate(args.corpus_dir, "speechocean762", "train/wav.scp", "speechocean762", "SPEECHOCEAN762",
                          LAYOUT)
            train = read_half(root, "train")
            sys.stdout.write(describe(train, choose_dev_speakers(train.age, train.gender, args.num_dev_speakers)))
            return 0
        prepare(args.corpus_dir, args.data_dir, args.dev_speakers, args.num_dev_speakers)
        return 0

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
