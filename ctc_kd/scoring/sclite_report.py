"""The text of result.txt as sclite prints it: the per-speaker summary box, then each utterance's alignment."""
from typing import Dict, List, Mapping

from ctc_kd.scoring.counts import Counts, UttScore
from ctc_kd.scoring.units import ERROR_NAME

RATES = ("corr", "sub", "del", "ins", "err", "serr")  # the columns of the summary, as Counts.rates() names them


def summary_table(unit: str, by_speaker: Mapping[str, Counts], total: Counts, title: str = "") -> List[str]:
    """The sclite-like `.sys` table, after a title line if given."""
    rows = [(spk, by_speaker[spk]) for spk in sorted(by_speaker)]
    spk_w = max([len("Sum/Avg"), len("SPKR")] + [len(s) for s, _ in rows])
    num_w = max(5, len(str(total.wrd)))
    snt_w = max(5, len(str(total.snt)))

    def line(name: str, c: Counts) -> str:
        r = c.rates()
        vals = " ".join(f"{r[k]:6.1f}" for k in RATES)
        return f"| {name:<{spk_w}} | {c.snt:>{snt_w}} {c.wrd:>{num_w}} | {vals} |"

    head = (f"| {'SPKR':<{spk_w}} | {'# Snt':>{snt_w}} {'# Wrd':>{num_w}} | "
            + " ".join(f"{h:>6}" for h in ("Corr", "Sub", "Del", "Ins", "Err", "S.Err")) + " |")
    width = len(head)
    rest = width - spk_w - snt_w - num_w - 9
    sep = "|" + "-" * (spk_w + 2) + "+" + "-" * (snt_w + num_w + 3) + "+" + "-" * rest + "|"
    label = f"{ERROR_NAME[unit]} ({unit})"
    out = [title, ""] if title else []
    out += ["," + "-" * (width - 2) + ".", "|" + label.center(width - 2) + "|", "|" + "-" * (width - 2) + "|",
            head, sep]
    out += [line(spk, c) for spk, c in rows]
    out += ["|" + "=" * (width - 2) + "|", line("Sum/Avg", total), "`" + "-" * (width - 2) + "'"]
    return out


def utterance_block(u: UttScore) -> List[str]:
    """One utterance's alignment as sclite's `.pra` shows it: correct words lower case, errors upper case, *** gaps."""
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
    return [
        f"id: ({u.utt})",
        f"Scores: (#C #S #D #I) {c.corr} {c.sub} {c.dele} {c.ins}",
        ("REF:  " + " ".join(f"{t:<{w}}" for t, w in zip(refs, widths))).rstrip(),
        ("HYP:  " + " ".join(f"{t:<{w}}" for t, w in zip(hyps, widths))).rstrip(),
        ("Eval: " + " ".join(f"{t:<{w}}" for t, w in zip(evals, widths))).rstrip(),
        "",
    ]


def report(unit: str, by_speaker: Mapping[str, Counts], total: Counts, utts: Dict[str, UttScore],
           title: str = "") -> str:
    """The whole result.txt: the summary, then every utterance in id order."""
    blocks = [line for utt in sorted(utts) for line in utterance_block(utts[utt])]
    return "\n".join(summary_table(unit, by_speaker, total, title) + [""] + blocks)
