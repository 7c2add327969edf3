"""Counts of correct, substituted, deleted and inserted tokens, of one utterance or summed over many."""
from dataclasses import dataclass
from typing import Dict, List

from ctc_kd.scoring.edit_alignment import Op


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
