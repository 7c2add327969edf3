"""Score recognition output against references (WER/CER/TER) with an sclite-like report, without sclite.

Writes `OUT_DIR/result.txt`: a summary table (`| SPKR | # Snt # Wrd | Corr Sub Del Ins Err S.Err |`, one row per
speaker from utt2spk and a `Sum/Avg` row, percentages with one decimal as sclite prints them), then one block per
utterance (`id: (<utt>)`, `Scores: (#C #S #D #I) c s d i`, `REF:`, `HYP:`, `Eval:`) with `***` for a missing word
and errors in UPPER case, correct words in lower case. `OUT_DIR/score.json` holds the numbers: rates in percent
(err, corr, sub, del, ins, serr), counts (snt, wrd, num_corr, num_sub, num_del, num_ins, num_err, num_serr).

The alignment is a Levenshtein alignment: the fewest errors S+D+I (so `err` equals the edit distance); among
alignments with that many errors the one with fewest substitutions is taken, as sclite's weights (sub 4, ins/del 3)
would prefer.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ctc_kd.cli import run
from ctc_kd.data.datadir import DataDirError, read_kv, write_lines

log = logging.getLogger(__name__)

UNITS = ("char", "word", "token")
ERROR_NAME = {"char": "CER", "word": "WER", "token": "TER"}
SPACE = "<space>"

# One aligned pair: op is C (correct), S (substitution), D (deletion: ref only), I (insertion: hyp only).
Op = Tuple[str, Optional[str], Optional[str]]


def align(ref: Sequence[str], hyp: Sequence[str]) -> List[Op]:
    """Minimum-edit alignment of two token sequences (fewest errors, then fewest substitutions)."""
    n, m = len(ref), len(hyp)
    if n == 0 or m == 0:
        return [("D", r, None) for r in ref] + [("I", None, h) for h in hyp]
    vocab: Dict[str, int] = {}
    r = np.array([vocab.setdefault(t, len(vocab)) for t in ref], dtype=np.int64)
    h = np.array([vocab.setdefault(t, len(vocab)) for t in hyp], dtype=np.int64)
    k = n + m + 1  # cost of one error; a substitution costs k + 1, so total = k * errors + substitutions
    cols = np.arange(m + 1, dtype=np.int64) * k
    dist = np.empty((n + 1, m + 1), dtype=np.int64)
    dist[0] = cols
    for i in range(1, n + 1):
        prev = dist[i - 1]
        row = np.empty(m + 1, dtype=np.int64)
        row[0] = prev[0] + k
        row[1:] = np.minimum(prev[:-1] + np.where(h == r[i - 1], 0, k + 1), prev[1:] + k)
        # insertions within the row: row[j] = min_{l <= j} row[l] + (j - l) * k
        dist[i] = np.minimum.accumulate(row - cols) + cols
    ops: List[Op] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            same = r[i - 1] == h[j - 1]
            if dist[i, j] == dist[i - 1, j - 1] + (0 if same else k + 1):
                ops.append(("C" if same else "S", ref[i - 1], hyp[j - 1]))
                i, j = i - 1, j - 1
                continue
        if i > 0 and dist[i, j] == dist[i - 1, j] + k:
            ops.append(("D", ref[i - 1], None))
            i -= 1
        else:
            ops.append(("I", None, hyp[j - 1]))
            j -= 1
    ops.reverse()
    return ops


@dataclass
class Counts:
    """Sentence and token counts of one speaker or of the whole set."""

    snt: int = 0
    wrd: int = 0
    corr: int = 0
    sub: int = 0
    dele: int = 0
    ins: int = 0
    serr: int = 0

    @property
    def err(self) -> int:
        return self.sub + self.dele + self.ins

    def add(self, other: "Counts") -> None:
        for name in ("snt", "wrd", "corr", "sub", "dele", "ins", "serr"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def rate(self, count: int, sentences: bool = False) -> float:
        """A count in percent of the reference tokens (or of the sentences)."""
        denom = self.snt if sentences else self.wrd
        return 100.0 * count / denom if denom else 0.0

    def rates(self) -> Dict[str, float]:
        return {
            "corr": self.rate(self.corr), "sub": self.rate(self.sub), "del": self.rate(self.dele),
            "ins": self.rate(self.ins), "err": self.rate(self.err), "serr": self.rate(self.serr, sentences=True),
        }


@dataclass
class UttScore:
    """The alignment of one utterance."""

    utt: str
    spk: str
    ops: List[Op]

    @property
    def counts(self) -> Counts:
        c = Counts(snt=1)
        for op, ref, _ in self.ops:
            c.wrd += ref is not None
            c.corr += op == "C"
            c.sub += op == "S"
            c.dele += op == "D"
            c.ins += op == "I"
        c.serr = int(c.err > 0)
        return c


@dataclass
class ScoreResult:
    """Scores of a set: per utterance, per speaker and in total."""

    unit: str
    utts: Dict[str, UttScore]
    missing: List[str] = field(default_factory=list)  # utterances without a hypothesis (scored as deletions)

    def __post_init__(self):
        self.total = Counts()
        self.by_speaker: Dict[str, Counts] = {}
        for u in self.utts.values():
            c = u.counts
            self.total.add(c)
            self.by_speaker.setdefault(u.spk, Counts()).add(c)

    @property
    def err(self) -> float:
        """Error rate in percent: (S + D + I) / reference tokens."""
        return self.total.rate(self.total.err)

    def to_dict(self) -> Dict[str, object]:
        t = self.total
        out: Dict[str, object] = {k: round(v, 4) for k, v in t.rates().items()}
        out.update(snt=t.snt, wrd=t.wrd, num_corr=t.corr, num_sub=t.sub, num_del=t.dele, num_ins=t.ins,
                   num_err=t.err, num_serr=t.serr, unit=self.unit, missing_hyps=len(self.missing))
        return out

    def summary_table(self, title: str = "") -> List[str]:
        """The sclite-like `.sys` table, after a title line if given."""
        rows = [(spk, self.by_speaker[spk]) for spk in sorted(self.by_speaker)]
        spk_w = max([len("Sum/Avg"), len("SPKR")] + [len(s) for s, _ in rows])
        num_w = max(5, len(str(self.total.wrd)))
        snt_w = max(5, len(str(self.total.snt)))

        def line(name: str, c: Counts) -> str:
            r = c.rates()
            vals = " ".join(f"{r[k]:6.1f}" for k in ("corr", "sub", "del", "ins", "err", "serr"))
            return f"| {name:<{spk_w}} | {c.snt:>{snt_w}} {c.wrd:>{num_w}} | {vals} |"

        head = (f"| {'SPKR':<{spk_w}} | {'# Snt':>{snt_w}} {'# Wrd':>{num_w}} | "
                + " ".join(f"{h:>6}" for h in ("Corr", "Sub", "Del", "Ins", "Err", "S.Err")) + " |")
        width = len(head)
        rest = width - spk_w - snt_w - num_w - 9
        sep = "|" + "-" * (spk_w + 2) + "+" + "-" * (snt_w + num_w + 3) + "+" + "-" * rest + "|"
        label = f"{ERROR_NAME[self.unit]} ({self.unit})"
        out = [title, ""] if title else []
        out += ["," + "-" * (width - 2) + ".", "|" + label.center(width - 2) + "|", "|" + "-" * (width - 2) + "|",
                head, sep]
        out += [line(spk, c) for spk, c in rows]
        out += ["|" + "=" * (width - 2) + "|", line("Sum/Avg", self.total), "`" + "-" * (width - 2) + "'"]
        return out

    def utterance_blocks(self) -> List[str]:
        """sclite `.pra`-style alignment of every utterance."""
        out: List[str] = []
        for utt in sorted(self.utts):
            u = self.utts[utt]
            c = u.counts
            refs, hyps, evals = [], [], []
            for op, ref, hyp in u.ops:
                if op == "C":
                    word = ref.lower()
                    refs.append(word)
                    hyps.append(word)
                    evals.append("")
                else:
                    r = ref.upper() if ref is not None else None
                    h = hyp.upper() if hyp is not None else None
                    w = max(len(r or ""), len(h or ""), 3 if (r is None or h is None) else 0)
                    refs.append(r if r is not None else "*" * w)
                    hyps.append(h if h is not None else "*" * w)
                    evals.append(op)
            widths = [max(len(a), len(b)) for a, b in zip(refs, hyps)]
            out.append(f"id: ({utt})")
            out.append(f"Scores: (#C #S #D #I) {c.corr} {c.sub} {c.dele} {c.ins}")
            out.append(("REF:  " + " ".join(f"{t:<{w}}" for t, w in zip(refs, widths))).rstrip())
            out.append(("HYP:  " + " ".join(f"{t:<{w}}" for t, w in zip(hyps, widths))).rstrip())
            out.append(("Eval: " + " ".join(f"{t:<{w}}" for t, w in zip(evals, widths))).rstrip())
            out.append("")
        return out

    def report(self, title: str = "") -> str:
        return "\n".join(self.summary_table(title) + [""] + self.utterance_blocks())

    def write(self, out_dir: Path, title: str = "") -> None:
        """Write result.txt and score.json into out_dir."""
        out_dir = Path(out_dir)
        write_lines(out_dir / "result.txt", self.report(title).split("\n"))
        write_lines(out_dir / "score.json", [json.dumps(self.to_dict(), indent=1, sort_keys=True)])


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
            raise DataDirError("--bpe-model goes with --unit token")
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


def score_texts(
    refs: Mapping[str, str],
    hyps: Mapping[str, str],
    unit: str = "word",
    *,
    remove_space: bool = False,
    ignore_case: bool = False,
    bpe_model: Optional[str] = None,
    token_list: Optional[Sequence[str]] = None,
    utt2spk: Optional[Mapping[str, str]] = None,
) -> ScoreResult:
    """Score hypothesis transcripts against references (both utt -> text).

    A reference without hypothesis counts as all deletions (warned); a hypothesis without reference is an error.
    """
    unknown = sorted(set(hyps).difference(refs))
    if unknown:
        raise DataDirError(
            f"{len(unknown)} hypotheses have no reference (e.g. {', '.join(unknown[:3])}); score against the "
            f"reference text of the set that was decoded"
        )
    if not refs:
        raise DataDirError("no reference transcripts to score against")
    missing = sorted(set(refs).difference(hyps))
    if missing:
        log.warning("%d of %d utterances have no hypothesis (e.g. %s); counted as all deletions", len(missing),
                    len(refs), ", ".join(missing[:3]))
    tokenize = make_tokenizer(unit, remove_space, ignore_case, bpe_model, token_list)
    utts = {}
    for utt in sorted(refs):
        spk = utt2spk.get(utt, "all") if utt2spk is not None else "all"
        utts[utt] = UttScore(utt, spk, align(tokenize(refs[utt]), tokenize(hyps.get(utt, ""))))
    return ScoreResult(unit, utts, missing)


def score_files(ref: str, hyp: str, unit: str, out_dir: str, utt2spk: Optional[str] = None,
                remove_space: bool = False, ignore_case: bool = False, bpe_model: Optional[str] = None,
                token_list: Optional[str] = None) -> ScoreResult:
    """Score Kaldi text files and write OUT_DIR/result.txt and score.json."""
    refs, hyps = read_kv(ref), read_kv(hyp)
    unknown = sorted(set(hyps).difference(refs))
    if unknown:
        raise DataDirError(
            f"{hyp}: {len(unknown)} utterances are not in {ref} (e.g. {', '.join(unknown[:3])}); score against the "
            f"reference text of the set that was decoded"
        )
    if utt2spk is None and (Path(ref).parent / "utt2spk").is_file():
        utt2spk = str(Path(ref).parent / "utt2spk")
        log.info("speakers from %s", utt2spk)
    spk = read_kv(utt2spk) if utt2spk is not None else None
    tokens = None
    if token_list is not None:
        with open(token_list, encoding="utf-8") as f:
            tokens = [line.split()[0] for line in f if line.strip()]
    result = score_texts(refs, hyps, unit, remove_space=remove_space, ignore_case=ignore_case, bpe_model=bpe_model,
                         token_list=tokens, utt2spk=spk)
    title = f"{ERROR_NAME[unit]} of {hyp} against {ref}"
    result.write(Path(out_dir), title)
    t = result.total
    log.info("%s %.2f%% [%d / %d: %d sub, %d del, %d ins] on %d sentences (S.Err %.1f%%) -> %s", ERROR_NAME[unit],
             result.err, t.err, t.wrd, t.sub, t.dele, t.ins, t.snt, t.rate(t.serr, True), Path(out_dir) / "result.txt")
    return result


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.score",
        description="Score hypotheses against references; writes OUT_DIR/result.txt (sclite-like) and score.json.",
    )
    parser.add_argument("--ref", required=True, help="reference Kaldi text, e.g. data/test/text")
    parser.add_argument("--hyp", required=True, help="hypothesis Kaldi text, e.g. exp/<model>/decode_test/text")
    parser.add_argument("--unit", choices=UNITS, default="word", help="word (WER), char (CER) or token (TER)")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--utt2spk", default=None,
                        help="speakers for the per-speaker rows (default: utt2spk beside --ref, if there)")
    parser.add_argument("--remove-space", action="store_true", help="char unit: ignore spaces (e.g. Mandarin CER)")
    parser.add_argument("--ignore-case", action="store_true", help="compare case-insensitively")
    parser.add_argument("--bpe-model", default=None, help="token unit: sentencepiece model splitting the texts")
    parser.add_argument("--token-list", default=None, help="token unit: tokens.txt; other tokens become <unk>")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    return run(lambda: score_files(args.ref, args.hyp, args.unit, args.out_dir, args.utt2spk, args.remove_space,
                                   args.ignore_case, args.bpe_model, args.token_list) and 0)


if __name__ == "__main__":
    sys.exit(main())
