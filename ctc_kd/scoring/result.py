"""The scores of a set: per utterance, per speaker and in total, as score.json holds them and result.txt shows them."""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from ctc_kd.data.datadir import write_lines
from ctc_kd.experiment.layout import SCORE
from ctc_kd.scoring.counts import Counts, UttScore
from ctc_kd.scoring.sclite_report import report

REPORT = "result.txt"  # the sclite-like report beside score.json


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
        """The numbers of score.json: rates in percent, then counts."""
        t = self.total
        out: Dict[str, object] = {k: round(v, 4) for k, v in t.rates().items()}
        out.update(snt=t.snt, wrd=t.wrd, num_corr=t.corr, num_sub=t.sub, num_del=t.dele, num_ins=t.ins,
                   num_err=t.err, num_serr=t.serr, unit=self.unit, missing_hyps=len(self.missing))
        return out

    def write(self, out_dir: Path, title: str = "") -> None:
        """Write result.txt and score.json into out_dir."""
        out_dir = Path(out_dir)
        write_lines(out_dir / REPORT, report(self.unit, self.by_speaker, self.total, self.utts, title).split("\n"))
        write_lines(out_dir / SCORE, [json.dumps(self.to_dict(), indent=1, sort_keys=True)])
