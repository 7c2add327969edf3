"""Mean and spread of a number over a system's runs (seeds), and the relative error reduction against a baseline."""
import statistics
from dataclasses import dataclass
from typing import List, Optional


@dataclass
class Stats:
    """Mean and spread of one error rate over the runs that have it."""

    values: List[float]

    @property
    def n(self) -> int:
        """How many runs have the number."""
        return len(self.values)

    @property
    def mean(self) -> Optional[float]:
        """The mean over the runs (None without runs)."""
        return statistics.fmean(self.values) if self.values else None

    @property
    def std(self) -> Optional[float]:
        """The sample standard deviation (None with fewer than two runs)."""
        return statistics.stdev(self.values) if self.n >= 2 else None

    def text(self, scale: float = 1.0, digits: int = 2) -> str:
        """mean, and with several values ± sample std [min–max], each times scale."""
        text = f"{self.mean * scale:.{digits}f}"
        if self.n >= 2:
            text += (f" ± {self.std * scale:.{digits}f} [{min(self.values) * scale:.{digits}f}–"
                     f"{max(self.values) * scale:.{digits}f}]")
        return text

    def to_dict(self) -> dict:
        """The numbers as results.json keeps them."""
        return {"values": self.values, "n": self.n, "mean": self.mean, "std": self.std,
                "min": min(self.values, default=None), "max": max(self.values, default=None)}


def relative_reduction(base: float, system: float) -> float:
    """Relative error reduction in percent: (base - system) / base * 100 (positive: fewer errors than the base)."""
    return (base - system) / base * 100.0


def gap_recovered(base: float, teacher: float, system: float) -> float:
    """The share of the teacher-student gap a system recovers, in percent: (base - system) / (base - teacher) * 100.

    A relative reduction cannot exceed what the teacher knows more than the student; this says how much of that a
    method got (100: as good as the teacher; negative: worse than the student alone).
    """
    return (base - system) / (base - teacher) * 100.0
