"""Write a recipe's RESULTS.md (error-rate tables as in the FPKD/SKD papers, and how they were made) and results.json.

Per system row: System, Method (from its config.yaml), #Params (M) of the exported model, n (runs averaged: the
`<system>` folder and/or its `<system>_seed<k>` folders), the error rate on each test set (mean ± sample std
[min–max] over runs), the relative error reduction vs the baseline's mean on each test set, the training time
(sum of ESPnet's per-epoch times in train.log) and the decoder. One table for the main metric, then one for the
other (CER/WER), with --align_set the students' spike timing vs the teacher (mean |offset|, exact share, miss
rate from exp/<run>/alignment/<set>/alignment.json, with links to its plots), the validation error by epoch
(plots/valid_curves.png), the recipe's reading of the numbers (--reading), a per-run table, then "How this was
produced" (commands, date, environment, configs). A relative reduction is marked † when the seeds of the system and
of the baseline do not overlap.
Anything missing is "n/a" with a footnote naming the file, and a logged warning; the tool never stops on it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from ctc_kd.cli import command_line, run
from ctc_kd.results.exp_reader import METRICS
from ctc_kd.results.page import write_results


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.results_table",
        description="Write RESULTS.md (CER/WER tables: method, #params, mean ± std over seeds, relative error "
                    "reduction vs a baseline, training time, decoder; then commands, date, environment and configs) "
                    "and results.json from a recipe's exp folder. Missing pieces are n/a with a footnote.",
    )
    parser.add_argument("--exp_dir", required=True, help="the recipe's exp folder (exp/<system>/...)")
    parser.add_argument("--systems", required=True, nargs="+",
                        help='rows in order, e.g. "teacher student_alone student_sfmx_kd"; a name also takes its '
                             "<name>_seed<k> folders")
    parser.add_argument("--test_sets", required=True, nargs="+", help='e.g. "dev test"')
    parser.add_argument("--decoder", default="greedy", help="reads exp/<system>/decode_<decoder>/ (default greedy)")
    parser.add_argument("--baseline", default=None,
                        help="the system relative error reductions refer to (one of --systems); none: no such column")
    parser.add_argument("--baseline_of", nargs="*", default=[],
                        help='systems compared with a baseline of their own instead, as system:baseline pairs (e.g. '
                             '"student_skd:student_3blocks_alone": a group on another architecture than --baseline\'s)')
    parser.add_argument("--main_metric", choices=METRICS, default="cer", help="the metric of the first table")
    parser.add_argument("--align_set", default=None,
                        help="add the spike-timing table from exp/<system>/alignment/<set>/alignment.json "
                             "(ctc_kd.bin.alignment) for this set; default: no such table")
    parser.add_argument("--align_teacher", default="teacher",
                        help="the system the students were aligned against: left out of the spike-timing table")
    parser.add_argument("--title", default="Results", help="the title of RESULTS.md")
    parser.add_argument("--command", action="append", default=None,
                        help="the command line(s) that produced the experiments (repeatable)")
    parser.add_argument("--seeds_grouping", type=true_or_false, default=True,
                        help="true: one row per system over its _seed<k> runs (default); false: a row per run")
    parser.add_argument("--reading", default=None,
                        help="a Markdown file with the reading of the results, included as the Reading section")
    parser.add_argument("--out", default="RESULTS.md", help="the Markdown file to write")
    parser.add_argument("--json", default=None, help="the JSON file with all numbers (default <exp_dir>/results.json)")
    return parser


def true_or_false(value: str) -> bool:
    """A yes/no option as ESPnet spells it: true or false."""
    if value not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"true or false, not '{value}'")
    return value == "true"


def words(values: Sequence[str]) -> List[str]:
    """Options given as one quoted list ("dev test") or as several words."""
    return [w for v in values for w in v.split()]


def check_options(args: argparse.Namespace) -> None:
    """An exp folder, at least one system and test set, and a baseline among the systems."""
    if not Path(args.exp_dir).is_dir():
        raise ValueError(f"--exp_dir {Path(args.exp_dir)} is not a directory; give the recipe's exp folder")
    if not args.systems or not args.test_sets:
        raise ValueError("--systems and --test_sets must name at least one system and one test set")
    if args.baseline is not None and args.baseline not in args.systems:
        raise ValueError(f"--baseline {args.baseline} is not one of --systems ({' '.join(args.systems)})")
    for pair in args.baseline_of:
        system, _, base = pair.partition(":")
        if args.baseline is None:
            raise ValueError(f"--baseline_of {pair} needs --baseline (the table's baseline) too")
        if not base or system not in args.systems or base not in args.systems:
            raise ValueError(f"--baseline_of {pair}: give system:baseline, both of --systems ({' '.join(args.systems)})")


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = get_parser().parse_args(argv)
    args.systems, args.test_sets = words(args.systems), words(args.test_sets)
    args.baseline_of = words(args.baseline_of)
    table_command = command_line("python -m ctc_kd.bin.results_table", argv)
    return run(lambda: check_options(args) or write_results(args, table_command))


if __name__ == "__main__":
    sys.exit(main())
