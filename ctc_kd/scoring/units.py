"""Splitting a transcript into the units of an error rate: characters (CER), words (WER) or tokens (TER)."""
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from ctc_kd.data.datadir import DataDirError

UNITS = ("char", "word", "token")
ERROR_NAME = {"char": "CER", "word": "WER", "token": "TER"}
SPACE = "<space>"


def make_tokenizer(unit: str, remove_space: bool = False, ignore_case: bool = False,
                   bpe_model: Optional[str] = None, token_list: Optional[Sequence[str]] = None
                   ) -> Callable[[str], List[str]]:
    """The function splitting a transcript into scoring units.

    char: characters, a space as `<space>` (ESPnet's CER convention; runs of spaces count once), or no spaces with
    remove_space; word: whitespace-separated words; token: sentencepiece pieces of bpe_model, or the text's own
    whitespace-separated tokens without a model. With token_list, tokens not in it become `<unk>`.
    """
    if unit not in UNITS:
        raise DataDirError(f"unknown unit '{unit}'; use one of {', '.join(UNITS)}")
    sp = None
    if bpe_model is not None:
        if unit != "token":
            raise DataDirError("--bpemodel goes with --unit token")
        import sentencepiece as spm

        if not Path(bpe_model).is_file():
            raise DataDirError(f"{bpe_model}: sentencepiece model not found")
        sp = spm.SentencePieceProcessor(model_file=str(bpe_model))
    known = set(token_list) if token_list is not None else None

    def tokenize(text: str) -> List[str]:
        if ignore_case:
            text = text.lower()
        words = text.split()
        if unit == "word":
            toks = words
        elif unit == "char":
            joined = "".join(words) if remove_space else " ".join(words)
            toks = [SPACE if ch == " " else ch for ch in joined]
        elif sp is not None:
            toks = sp.encode(" ".join(words), out_type=str)
        else:
            toks = words
        if known is not None:
            toks = [t if t in known else "<unk>" for t in toks]
        return toks

    return tokenize
