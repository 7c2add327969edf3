"""Build the token list (and BPE model) of a training text in ESPnet's convention, so ESPnet tokenizes identically.

`tokens.txt` holds one token per line, the line number (from 0) being the id: `<blank>` (0), `<unk>` (1), the units,
`<sos/eos>` last. Char and word units are sorted by descending frequency (ties in byte order); char units turn a
space into `<space>` as espnet2's CharTokenizer does (`--token_type char`). BPE units are the pieces of a
sentencepiece model `bpe.model` in its own id order without its `<unk>`, `<s>`, `</s>`, as ESPnet's asr.sh makes
them (`--token_type bpe --bpemodel DIR/bpe.model`).
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from ctc_kd.cli import run
from ctc_kd.data.datadir import DataDirError, PathLike, read_kv, write_lines

log = logging.getLogger(__name__)

BLANK, UNK, SOS_EOS, SPACE = "<blank>", "<unk>", "<sos/eos>", "<space>"
SPECIALS = (BLANK, UNK, SOS_EOS)
BPE_SEED = 1234
BPE_THREADS = 4  # fixed (not the core count) so that training gives the same model on every machine
BPE_INPUT_SENTENCE_SIZE = 10_000_000


def read_nlsyms(path: Optional[PathLike]) -> List[str]:
    """Non-linguistic symbols, one per line (ESPnet's --non_linguistic_symbols file)."""
    if path is None:
        return []
    try:
        with open(path, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        raise DataDirError(f"{path}: non-linguistic symbols file not found") from None


def char_tokenize(line: str, nlsyms: Sequence[str] = ()) -> List[str]:
    """Characters of a line, a space as `<space>` and non-linguistic symbols whole (espnet2 CharTokenizer's rule)."""
    syms = sorted(nlsyms, key=len, reverse=True)  # longest match first, deterministic
    tokens = []
    i = 0
    while i < len(line):
        for w in syms:
            if line.startswith(w, i):
                tokens.append(w)
                i += len(w)
                break
        else:
            tokens.append(SPACE if line[i] == " " else line[i])
            i += 1
    return tokens


def word_tokenize(line: str) -> List[str]:
    """Whitespace-separated words (espnet2 WordTokenizer without a delimiter)."""
    return line.split()


def frequency_sorted(units: Iterable[str], max_units: Optional[int] = None) -> List[str]:
    """Units by descending count, ties in byte order, special symbols removed; at most max_units of them."""
    counts = Counter(u for u in units if u not in SPECIALS)
    ordered = [u for u, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return ordered if max_units is None else ordered[:max_units]


def read_transcripts(text: PathLike) -> List[str]:
    """The non-empty transcripts of a Kaldi `text` file."""
    lines = [v for v in read_kv(text).values() if v.strip()]
    if not lines:
        raise DataDirError(f"{text}: no non-empty transcript; a token list needs training text")
    return lines


def train_bpe(lines: Sequence[str], model: Path, vocab_size: int, model_type: str, nlsyms: Sequence[str]) -> int:
    """Train `model` (+ .vocab beside it) with sentencepiece; returns the vocabulary size actually used."""
    import sentencepiece as spm

    model.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".bpe.", dir=model.parent) as tmp:
        text_file = os.path.join(tmp, "train.txt")
        with open(text_file, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")
        prefix = os.path.join(tmp, "bpe")
        size = vocab_size
        while True:
            spm.set_random_generator_seed(BPE_SEED)
            try:
                spm.SentencePieceTrainer.train(
                    input=text_file, model_prefix=prefix, vocab_size=size, model_type=model_type,
                    character_coverage=1.0, input_sentence_size=BPE_INPUT_SENTENCE_SIZE, shuffle_input_sentence=True,
                    num_threads=BPE_THREADS, user_defined_symbols=list(nlsyms), minloglevel=2,
                )
                break
            except RuntimeError as e:
                m = re.search(r"Vocabulary size too high \(\d+\)\. Please set it to a value <= (\d+)", str(e))
                if m and int(m.group(1)) < size:
                    size = int(m.group(1))
                    log.warning("--vocab_size %d is too large for this text; using %d (the most sentencepiece can "
                                "make from it)", vocab_size, size)
                    continue
                m = re.search(r"smaller than required_chars\. (\d+) vs (\d+)", str(e))
                if m:
                    raise DataDirError(
                        f"--vocab_size {vocab_size} is smaller than the {m.group(2)} pieces that the characters of "
                        f"the text need (with <unk>, <s>, </s>); use --vocab_size {m.group(2)} or more"
                    ) from None
                raise DataDirError(f"sentencepiece could not train on the text: {e}") from None
        os.replace(prefix + ".vocab", model.with_suffix(".vocab"))
        os.replace(prefix + ".model", model)
    return size


def bpe_units(model: PathLike) -> List[str]:
    """The pieces of a sentencepiece model in id order, without its unknown and control pieces."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(model))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not (sp.is_unknown(i) or sp.is_control(i))]


def build_token_list(
    unit: str,
    text: PathLike,
    out_dir: PathLike,
    vocab_size: Optional[int] = None,
    bpe_model_type: str = "unigram",
    non_linguistic_symbols: Optional[PathLike] = None,
) -> List[str]:
    """Write `out_dir/tokens.txt` (and `out_dir/bpe.model` for unit bpe); returns the token list."""
    out = Path(out_dir)
    nlsyms = read_nlsyms(non_linguistic_symbols)
    lines = read_transcripts(text)
    if unit == "bpe":
        if vocab_size is None:
            raise DataDirError("--unit bpe needs --vocab_size")
        train_bpe(lines, out / "bpe.model", vocab_size, bpe_model_type, nlsyms)
        units = [u for u in bpe_units(out / "bpe.model") if u not in SPECIALS]
    elif unit in ("char", "word"):
        max_units = None if vocab_size is None else vocab_size - len(SPECIALS)
        if max_units is not None and max_units <= 0:
            raise DataDirError(f"--vocab_size {vocab_size} leaves no room beside {', '.join(SPECIALS)}")
        tokenize = (lambda s: char_tokenize(s, nlsyms)) if unit == "char" else word_tokenize
        units = frequency_sorted((t for line in lines for t in tokenize(line)), max_units)
    else:
        raise DataDirError(f"unknown --unit '{unit}'; use char, bpe or word")
    tokens = [BLANK, UNK, *units, SOS_EOS]
    write_lines(out / "tokens.txt", tokens)
    log.info("%s: %d tokens (%d %s units) from %d transcripts of %s", out / "tokens.txt", len(tokens), len(units),
             unit, len(lines), text)
    return tokens


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.token_list",
        description="Write DIR/tokens.txt (<blank>, <unk>, units, <sos/eos>) and for bpe DIR/bpe.model.",
    )
    parser.add_argument("--unit", choices=["char", "bpe", "word"], required=True)
    parser.add_argument("--text", required=True, help="Kaldi text file (`<utt> <transcript>`), e.g. data/train/text")
    parser.add_argument("--out_dir", required=True)
    parser.add_argument("--vocab_size", type=int, default=None,
                        help="bpe: sentencepiece vocabulary size (lowered with a warning if the text is too small); "
                        "char/word: cap the list at this many entries, specials included")
    parser.add_argument("--bpe_model_type", choices=["unigram", "bpe", "char", "word"], default="unigram")
    parser.add_argument("--non_linguistic_symbols", default=None,
                        help="file of symbols kept whole (one per line), e.g. <noise>")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    return run(lambda: build_token_list(args.unit, args.text, args.out_dir, args.vocab_size, args.bpe_model_type,
                                        args.non_linguistic_symbols) and 0)


if __name__ == "__main__":
    sys.exit(main())
