"""A KD-weight sweep read from a recipe's exp folder: each system's runs at each weight, the one chosen on dev by one
stated rule, as the Markdown table of a README's "Tuning on dev" and as JSON (ctc_kd.bin.weight_sweep)."""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ctc_kd.experiment.layout import CONFIG, DECODE_INFO, TRAIN_LOG, decode_dir, score_file, seed_of
from ctc_kd.models.kd_terms import CONF_KEY, config_terms
from ctc_kd.results.exp_reader import METRICS, UNIT_NAMES, Run, read_decoding, read_run_config, read_training
from ctc_kd.results.formatting import NA
from ctc_kd.results.notes import Notes
from ctc_kd.results.objective import last_epoch_objective

WEIGHT_TAG = "_w"  # exp/<system>_w<tag>: a sweep run; the tag only finds the folder, the weight comes from config.yaml
RULE = ("the lowest {set} {main} among the finished, scored runs; a tie goes to the lower {set} {other}, then to the "
        "KD weight closest to 1 (|w - 1|, the largest over a run's terms), then to the run folder's name")


@dataclass
class Candidate:
    """One sweep run as the table shows it."""

    run: Run
    weights: Optional[Dict[str, float]]  # KD term -> weight, from config.yaml; None: unknown (weight_note says why)
    weight_note: Optional[str]
    status: str  # done | training | not decoded
    blank_ratio: Optional[float]  # share of frames (0-1) of the greedy best path on the set
    blank_note: Optional[str]



# ---- the runs ------------------------------------------------------------------------------------------------------
def seeded_folder(exp_dir: Path, stem: str, seed: int) -> Optional[str]:
    """exp/<stem>_seed<seed> if it exists, else exp/<stem> if it exists."""
    for name in (f"{stem}_seed{seed}", stem):
        if (exp_dir / name).is_dir():
            return name
    return None


def is_weight_tag(tag: str) -> bool:
    """A folder-name weight such as 0p3, 3 or 10 (not e.g. '_wide')."""
    return bool(tag) and tag[0].isdigit() and tag.replace("p", "").isdigit()


def candidate_folders(exp_dir: Path, system: str, seed: int) -> List[str]:
    """The run folders of a system's sweep: its own and each <system>_w<tag>, at the seed (else without seed)."""
    stems = {system}
    for path in exp_dir.iterdir():
        if not path.is_dir() or not path.name.startswith(system + WEIGHT_TAG):
            continue
        rest = path.name[len(system + WEIGHT_TAG):]
        tag = rest[:-len(f"_seed{seed_of(rest)}")] if seed_of(rest) is not None else rest
        if is_weight_tag(tag):
            stems.add(system + WEIGHT_TAG + tag)
    return [name for stem in sorted(stems) if (name := seeded_folder(exp_dir, stem, seed)) is not None]


def kd_weights(r: Run) -> Tuple[Optional[Dict[str, float]], Optional[str]]:
    """The run's KD terms and their weights from its config.yaml, or None and why."""
    config_file = r.dir / CONFIG
    if r.config is None:
        return None, f"`{config_file}` is missing: no KD weight"
    try:
        terms = config_terms(r.config, warn=False)
    except ValueError as e:
        return None, f"`{config_file}`: its KD terms are unreadable ({e}); fix {CONF_KEY} there"
    if not terms:
        model = r.config.get("model") or "espnet"
        return None, f"`{config_file}` has no KD term with a weight > 0 (model: {model}, no {CONF_KEY})"
    return {t.name: t.weight for t in terms}, None


def blank_ratio(r: Run, data_set: str, decoder: str) -> Tuple[Optional[float], Optional[str]]:
    """The blank share decode_info.json records for the set, or None and why."""
    path = decode_dir(r.dir, decoder, data_set) / DECODE_INFO
    info = r.decode_info.get(data_set)
    if info is None:
        return None, f"`{path}` is missing or unreadable: no blank share"
    value = info.get("blank_ratio")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"`{path}` has no number 'blank_ratio' (decoded before it was recorded: decode again)"
    return float(value), None


def deletions_insertions(r: Run, metric: str, data_set: str,
                         decoder: str) -> Tuple[Optional[Tuple[float, float]], Optional[str]]:
    """(deletions, insertions) in % of the reference's units, from the main metric's score.json, or None and why:
    they show where a KD term moves the blank share too far (deletions: too much blank; insertions: too little)."""
    score = r.scores.get(data_set, {}).get(metric)
    if score is None:
        return None, r.missing.get(f"{metric}/{data_set}", "no score")
    values = [score.get(key) for key in ("del", "ins")]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        path = score_file(decode_dir(r.dir, decoder, data_set), metric)
        return None, f"`{path}` has no numbers 'del' and 'ins'"
    return (float(values[0]), float(values[1])), None


def status_of(r: Run, metric: str, data_set: str) -> str:
    """done (finished and scored), training, or not decoded (finished, no score of the main metric)."""
    if not r.done:
        return "training"
    return "done" if (metric, data_set) in r.err else "not decoded"


def read_candidate(exp_dir: Path, name: str, data_set: str, metric: str, decoder: str) -> Candidate:
    """One run, read with the results table's readers (config, train.log, scores and decode_info.json)."""
    r = Run(name, exp_dir / name, seed=seed_of(name), exists=True)
    read_run_config(r)
    read_training(r)
    read_decoding(r, data_set, decoder)
    weights, weight_note = kd_weights(r)
    blank, blank_note = blank_ratio(r, data_set, decoder)
    return Candidate(r, weights, weight_note, status_of(r, metric, data_set), blank, blank_note)


def weight_order(c: Candidate) -> tuple:
    """Rows by weight (the largest of a run's terms, then the smallest), unknown weights last."""
    if not c.weights:
        return (1, 0.0, 0.0, c.run.name)
    return (0, max(c.weights.values()), min(c.weights.values()), c.run.name)


def read_sweeps(exp_dir: Path, systems: Sequence[str], data_set: str, metric: str, seed: int,
                decoder: str) -> Dict[str, List[Candidate]]:
    """Each system's sweep runs, by weight; stops when no system has any run."""
    sweeps = {system: sorted((read_candidate(exp_dir, name, data_set, metric, decoder)
                              for name in candidate_folders(exp_dir, system, seed)), key=weight_order)
              for system in systems}
    if not any(sweeps.values()):
        looked = ", ".join(f"{s}_seed{seed}, {s}, {s}_w<tag>_seed{seed}" for s in systems)
        raise ValueError(f"{exp_dir} has no run of any of --systems (looked for {looked}): train the sweep first "
                         "(e.g. conf/tuning/train_<system>_w0p3.yaml), or give the recipe's exp folder and the "
                         "seed it trained (--seed)")
    return sweeps


def other_metric(metric: str) -> str:
    """The error rate shown beside the main one and breaking its ties (wer for cer, cer for wer)."""
    return next(m for m in METRICS if m != metric)


# ---- the choice ----------------------------------------------------------------------------------------------------
def distance_from_one(weights: Optional[Dict[str, float]]) -> float:
    """How far a run's weights are from 1: the largest |w - 1| over its terms (unknown: infinitely far)."""
    return max(abs(w - 1.0) for w in weights.values()) if weights else math.inf


def choose(candidates: Sequence[Candidate], metric: str, data_set: str) -> Optional[Candidate]:
    """The finished, scored run with the lowest main metric; ties by the other metric, then |w - 1|, then name."""
    other = other_metric(metric)
    scored = [c for c in candidates if c.status == "done"]
    if not scored:
        return None
    return min(scored, key=lambda c: (c.run.err[(metric, data_set)], c.run.err.get((other, data_set), math.inf),
                                      distance_from_one(c.weights), c.run.name))


def shared_weight(weights: Optional[Dict[str, float]]) -> Optional[float]:
    """The one weight every KD term of a run has, or None (terms weighted differently, or weights unknown)."""
    values = set((weights or {}).values())
    return values.pop() if len(values) == 1 else None


def missing_weights(candidates: Sequence[Candidate], planned: Sequence[float]) -> List[float]:
    """The planned weights that no finished, scored run has all its KD terms at."""
    have = [shared_weight(c.weights) for c in candidates if c.status == "done"]
    return [w for w in planned if not any(h is not None and math.isclose(w, h) for h in have)]


def provisional_reason(candidates: Sequence[Candidate], planned: Sequence[float]) -> Optional[str]:
    """Why a system's choice may still change (None: every run finished and scored, every planned weight among
    them, and there was a choice)."""
    scored, n = sum(c.status == "done" for c in candidates), len(candidates)
    if scored < n:
        return f"provisional: {scored} of {n} runs scored"
    if missing := missing_weights(candidates, planned):
        return "provisional: no finished run at weight " + ", ".join(f"{w:g}" for w in missing) + " yet"
    if n == 1:
        return "provisional: 1 of 1 runs scored, no other weight's run found"
    return None


# ---- the outputs ---------------------------------------------------------------------------------------------------
def weight_text(weights: Dict[str, float]) -> str:
    """One number when every term has the same weight, else each term's: "binary_kd 1, repr_kd 0.5"."""
    if (shared := shared_weight(weights)) is not None:
        return f"{shared:g}"
    return ", ".join(f"{name} {w:g}" for name, w in weights.items())


def run_cells(c: Candidate, args: argparse.Namespace, notes: Notes) -> List[str]:
    """Run, weight, both error rates, blank share, epochs and status of one run, each n/a with its footnote."""
    r, other = c.run, other_metric(args.metric)
    unscored = []  # one footnote for a run without the main score: why (still training) and the file it lacks
    if c.status != "done":
        why = [text for key in ("time", f"{args.metric}/{args.set}") if (text := r.missing.get(key))]
        unscored = ["; ".join(why)] if why else []
    cells = [r.name, weight_text(c.weights) if c.weights else NA + notes.mark([c.weight_note])]
    for metric in (args.metric, other):
        if (metric, args.set) in r.err:
            cells.append(f"{r.err[(metric, args.set)]:.2f}")
        else:
            cells.append(NA + notes.mark(unscored or [r.missing.get(f"{metric}/{args.set}", "no score")]))
    cells.append(f"{c.blank_ratio * 100:.1f}" if c.blank_ratio is not None
                 else NA + notes.mark(unscored or [c.blank_note]))
    errors, errors_note = deletions_insertions(r, args.metric, args.set, args.decoder)
    cells.append(f"{errors[0]:.1f} / {errors[1]:.1f}" if errors is not None
                 else NA + notes.mark(unscored or [errors_note]))
    ratio = last_epoch_objective(r).get("kd_over_ctc")
    cells.append(f"{ratio:.2f}" if ratio is not None
                 else NA + notes.mark([f"`{r.dir / TRAIN_LOG}` has no finished epoch with a KD and a CTC loss"]))
    if r.train is None:
        cells.append(NA + notes.mark([r.missing.get("time", f"`{r.dir / TRAIN_LOG}` is missing")]))
    else:
        max_epoch = (r.config or {}).get("max_epoch")
        cells.append(f"{r.train.epochs}" + (f" of {max_epoch}" if not r.done and max_epoch else ""))
    cells.append(c.status + (notes.mark(unscored) if unscored else ""))
    return cells


def table_lines(sweeps: Dict[str, List[Candidate]], args: argparse.Namespace, notes: Notes) -> List[str]:
    """The table: a row per run, the chosen one in bold."""
    other = other_metric(args.metric)
    head = ["System", "Run", "KD weight", f"{args.set} {args.metric.upper()} (%)", f"{args.set} {other.upper()} (%)",
            f"{args.set} blank (%)", f"{args.set} {args.metric.upper()} del / ins (%)", "KD / CTC", "Epochs", "Status",
            "Chosen"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for system, candidates in sweeps.items():
        if not candidates:
            why = notes.mark([f"{system}: `{args.exp_dir}` has no {system}_seed{args.seed}, {system} or "
                              f"{system}_w<tag>[_seed{args.seed}] folder: not trained yet"])
            lines.append(f"| {system} | {NA}{why} | " + f"{NA} | " * 7 + "not trained | — |")
            continue
        chosen, reason = choose(candidates, args.metric, args.set), provisional_reason(candidates, args.weights)
        for i, c in enumerate(candidates):
            cells = [system] + run_cells(c, args, notes)
            if c is chosen:
                cells = [f"**{cell}**" for cell in cells] + ["**chosen**" + (f" ({reason})" if reason else "")]
            elif chosen is None and i == 0:
                cells.append(f"none yet: 0 of {len(candidates)} runs scored")
            else:
                cells.append("—")
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(sweeps: Dict[str, List[Candidate]], args: argparse.Namespace, table_command: str) -> str:
    """The table, how the choice is made, its footnotes and the command that made it."""
    notes = Notes()
    other = other_metric(args.metric)
    lines = table_lines(sweeps, args, notes)
    lines += ["", f"Chosen per system: {RULE.format(set=args.set, main=args.metric.upper(), other=other.upper())}. "
              f"A choice is provisional while some of its system's runs are not finished and scored, while one of the "
              f"planned weights ({', '.join(f'{w:g}' for w in args.weights) or 'none given'}) has no finished run, or "
              f"when it has one run only. KD weight: each run's `{CONF_KEY}.<term>.weight` in its `{CONFIG}` "
              f"(SKD: its frame term's, not the alpha schedule), one number when all its terms share it. Error rates "
              f"of `decode_{args.decoder}/{args.set}/score_<metric>/score.json` (del / ins: its deletions and "
              f"insertions, in % of the reference's {UNIT_NAMES[args.metric]}), blank share of "
              f"`{DECODE_INFO}` (greedy best path), KD / CTC: the KD terms' sum as optimised over the student's CTC "
              f"loss in the last completed epoch of `{TRAIN_LOG}` (an SKD run's sub-model's; above 1, the KD terms are "
              f"the larger part of what the training minimises), epochs completed in `{TRAIN_LOG}`; seed {args.seed}."]
    lines += notes.flush()
    lines += ["", f"Made by: `{table_command}`", ""]
    return "\n".join(lines)


def run_dict(c: Candidate, args: argparse.Namespace) -> dict:
    """One run as the JSON keeps it: weights, error rates (%), the main metric's deletions and insertions (%), blank
    share (0-1), epochs, status, what is missing."""
    missing = dict(c.run.missing)
    missing.update({key: note for key, note in (("weight", c.weight_note), ("blank_ratio", c.blank_note)) if note})
    errors, _ = deletions_insertions(c.run, args.metric, args.set, args.decoder)
    return {"run": c.run.name, "weights": c.weights, "weight": weight_text(c.weights) if c.weights else None,
            **{metric: c.run.err.get((metric, args.set)) for metric in METRICS},
            "deletions": errors[0] if errors else None, "insertions": errors[1] if errors else None,
            "blank_ratio": c.blank_ratio, "kd_over_ctc": last_epoch_objective(c.run).get("kd_over_ctc"),
            "epochs": c.run.train.epochs if c.run.train is not None else None, "status": c.status, "missing": missing}


def to_dict(sweeps: Dict[str, List[Candidate]], args: argparse.Namespace) -> dict:
    """{system: {chosen, provisional, runs}} with the numbers as the run folders give them."""
    out = {}
    for system, candidates in sweeps.items():
        chosen, reason = choose(candidates, args.metric, args.set), provisional_reason(candidates, args.weights)
        out[system] = {"chosen": chosen.run.name if chosen is not None else None,
                       "provisional": chosen is None or reason is not None, "why_provisional": reason,
                       "set": args.set, "metric": args.metric, "decoder": args.decoder, "seed": args.seed,
                       "runs": [run_dict(c, args) for c in candidates]}
    return out


# ---- the picture ---------------------------------------------------------------------------------------------------
def plotted_weight(weights: Optional[Dict[str, float]]) -> Optional[float]:
    """A run's place on the weight axis: the weight its terms share, else the largest (None: unknown)."""
    return max(weights.values()) if weights else None


def sweep_points(sweeps: Dict[str, List[Candidate]], metric: str,
                 data_set: str) -> Tuple[Dict[str, List[Tuple[float, float]]], Dict[str, Optional[float]]]:
    """Per system the (weight, error) of its finished, scored runs, and the chosen run's weight."""
    points, chosen = {}, {}
    for system, candidates in sweeps.items():
        points[system] = [(w, c.run.err[(metric, data_set)]) for c in candidates
                          if c.status == "done" and (w := plotted_weight(c.weights)) is not None]
        best = choose(candidates, metric, data_set)
        chosen[system] = plotted_weight(best.weights) if best is not None else None
    return points, chosen


def reference_error(exp_dir: Path, name: str, data_set: str, metric: str, decoder: str) -> float:
    """A reference run's error rate on the set (e.g. the teacher's, the student alone's); stops naming the file."""
    r = Run(name, exp_dir / name, seed=seed_of(name), exists=(exp_dir / name).is_dir())
    if not r.exists:
        raise ValueError(f"--reference {name}: {exp_dir / name} does not exist; give a run folder relative to "
                         f"--exp_dir (e.g. ../teacher)")
    read_decoding(r, data_set, decoder)
    if (metric, data_set) not in r.err:
        raise ValueError(f"--reference {name}: {score_file(decode_dir(r.dir, decoder, data_set), metric)} is missing "
                         f"or unreadable: decode and score that run on {data_set} first")
    return r.err[(metric, data_set)]

