"""Pick each KD method's weight on dev from its sweep runs by one stated rule, so the choice is mechanical and can be
re-made: the Markdown table a README's "Tuning on dev" shows, and the same numbers as JSON.

For a base system S the candidates are exp/S_seed<k> (else exp/S) and every exp/S_w<tag>_seed<k> (else exp/S_w<tag>),
k the --seed. Each run's KD weight is read from its config.yaml (model_conf.kd_terms.<term>.weight; round 1's flat
*_weight keys read the same way), never from its folder name. Per run: the error rates on --set, the blank share of
its greedy best path (decode_info.json), the epochs in train.log and its status (done / training / not decoded).
The chosen run has the lowest main error rate among the finished, scored runs; ties go to the lower other error
rate, then to the weight closest to 1, then to the folder name. Anything missing is n/a with a footnote naming the
file; the tool stops only when --exp_dir does not exist or no system has any run. --plot also draws the error
against the weight per system (log axis, the choice ringed), with --reference runs (teacher, student alone) as lines.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from ctc_kd.cli import command_line, run
from ctc_kd.complete_files import write_text
from ctc_kd.experiment.layout import seed_of
from ctc_kd.results.exp_reader import METRICS
from ctc_kd.results.weight_sweep import RULE, markdown, read_sweeps, reference_error, sweep_points, to_dict

PROGRAM = "python -m ctc_kd.bin.weight_sweep"


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="The KD-weight sweep table of a recipe's exp folder: per system, its runs at each KD weight (read "
                    "from each run's config.yaml), their error rates, blank share, epochs and status, and the chosen "
                    "run: " + RULE.format(set="<set>", main="--metric", other="other metric") + ". A choice is "
                    "provisional while some of the system's runs are not finished and scored, while a planned "
                    "weight (--weights) has no finished run, or when it has only one run.",
    )
    parser.add_argument("--exp_dir", required=True, help="the recipe's exp folder (exp/<system>_w<tag>_seed<k>/...)")
    parser.add_argument("--systems", required=True, nargs="+",
                        help='base system names, e.g. "student_fpkd student_sfmx_kd student_skd"; each takes its '
                             "<system>_w<tag> runs too")
    parser.add_argument("--weights", type=float, nargs="*", default=[0.3, 1.0, 3.0],
                        help="the sweep's planned KD weights (default 0.3 1 3, the recipes' tuning configs); a choice "
                             "is provisional until each has a finished run; give none to not check")
    parser.add_argument("--set", default="dev", help="the set the weights are chosen on (default dev)")
    parser.add_argument("--metric", choices=METRICS, default="cer",
                        help="the error rate the choice minimises (default cer); the other is shown and breaks ties")
    parser.add_argument("--seed", type=int, default=1,
                        help="reads exp/<run>_seed<seed>, else exp/<run> (a recipe's single seed; default 1)")
    parser.add_argument("--decoder", default="greedy", help="reads exp/<run>/decode_<decoder>/ (default greedy)")
    parser.add_argument("--out", default=None, help="the Markdown file to write (default: print it)")
    parser.add_argument("--json", default=None, help="also write the numbers and choices to this JSON file")
    parser.add_argument("--plot", default=None,
                        help="also draw the sweep as a PNG: the main error rate against the KD weight, per system")
    parser.add_argument("--reference", nargs="*", default=[],
                        help="runs drawn as horizontal lines on the plot, relative to --exp_dir (e.g. "
                             "student_alone_seed1 ../teacher)")
    return parser


def sweep_table(args: argparse.Namespace, table_command: str) -> int:
    """Read the sweeps, then print or write the Markdown (and the JSON)."""
    exp_dir = Path(args.exp_dir)
    if not exp_dir.is_dir():
        raise ValueError(f"--exp_dir {exp_dir} is not a directory; give the recipe's exp folder (e.g. run from "
                         "egs2/<corpus>/asr1 with --exp_dir exp)")
    seeded = [s for s in args.systems if seed_of(s) is not None]
    if seeded:
        raise ValueError(f"--systems takes base system names, not runs: {' '.join(seeded)}; drop the _seed<k> and "
                         "give the seed with --seed")
    sweeps = read_sweeps(exp_dir, args.systems, args.set, args.metric, args.seed, args.decoder)
    references = {Path(name).name: reference_error(exp_dir, name, args.set, args.metric, args.decoder)
                  for name in args.reference}  # read before anything is written: a bad one stops the whole command
    text = markdown(sweeps, args, table_command)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_text(Path(args.out), text)
    if args.json is not None:
        write_text(Path(args.json), json.dumps(to_dict(sweeps, args), indent=1, ensure_ascii=False) + "\n")
    if args.plot is not None:
        draw(sweeps, args, references)
    return 0


def draw(sweeps, args: argparse.Namespace, references: dict) -> None:
    """The sweep's PNG, with the reference runs as lines."""
    from ctc_kd.analysis import sweep_plot

    points, chosen = sweep_points(sweeps, args.metric, args.set)
    metric = f"{args.set} {args.metric.upper()}"
    sweep_plot.plot_weight_sweep(points, chosen, references, Path(args.plot), f"{metric} (%)",
                                 f"KD-weight sweep: {metric} by weight (seed {args.seed}; ringed: chosen)")


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = get_parser().parse_args(argv)
    args.systems = [w for v in args.systems for w in v.split()]  # one quoted list or several words
    return run(lambda: sweep_table(args, command_line(PROGRAM, argv)))


if __name__ == "__main__":
    sys.exit(main())
