"""Footnotes of RESULTS.md: why a cell is n/a or averages fewer runs, each reason once, defined under its table."""
from typing import List, Sequence


class Notes:
    """Numbered footnotes: each distinct text once, referenced as [^k]."""

    def __init__(self):
        self.texts: List[str] = []
        self.printed = 0

    def mark(self, texts: Sequence[str]) -> str:
        """The references [^k] to the texts, each text numbered on its first use."""
        marks = []
        for text in dict.fromkeys(texts):
            if text not in self.texts:
                self.texts.append(text)
            marks.append(f"[^{self.texts.index(text) + 1}]")
        return "".join(marks)

    def flush(self) -> List[str]:
        """Definitions of the notes marked since the last flush."""
        new = self.texts[self.printed:]
        lines = [f"[^{self.printed + i + 1}]: {t}" for i, t in enumerate(new)]
        self.printed = len(self.texts)
        return [""] + lines if lines else []
