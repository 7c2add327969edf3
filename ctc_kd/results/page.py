"""RESULTS.md and results.json of a recipe: its runs read from exp/, the tables in order, then how they were made."""
import argparse
import datetime
import json
import logging
from pathlib import Path
from typing import List

from ctc_kd.complete_files import write_text
from ctc_kd.experiment.layout import RESULTS_JSON
from ctc_kd.results.environment import environment
from ctc_kd.results.exp_reader import METRICS
from ctc_kd.results.markdown import Table
from ctc_kd.results.provenance import how_produced
from ctc_kd.results.rows import read_rows

log = logging.getLogger(__name__)


def read_reading(path: Path) -> str:
    """The recipe's hand-written reading of its numbers, placed under the tables it reads."""
    if not path.is_file():
        raise ValueError(f"--reading {path} does not exist: write the reading of the results there, or drop the option")
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise ValueError(f"--reading {path} is empty: write the reading of the results there, or drop the option")
    return text


def sections(args: argparse.Namespace, table: Table) -> List[str]:
    """The tables of RESULTS.md under its title: the main metric first with its picture, then the other, the curves,
    the spike timing, the blank ratios, the error types of the main metric, the training objective, the recipe's
    reading and every run."""
    order = [args.main_metric] + [m for m in METRICS if m != args.main_metric]
    lines = [f"# {args.title}", ""]
    for i, metric in enumerate(order):
        lines += [f"## {metric.upper()} (%)" + (" — main metric" if i == 0 else ""), ""]
        lines += table.metric_table(metric) + table.legend(metric) + table.notes.flush() + [""]
        if i == 0:
            lines += table.errors_plot(metric, args.title)
    lines += table.curves_section(args.title)
    if args.align_set is not None:
        lines += [f"## Spike timing vs {args.align_teacher} ({args.align_set})", ""]
        lines += table.alignment_table() + table.alignment_legend() + table.notes.flush() + [""]
    lines += table.blank_section()
    lines += table.error_types_section(args.main_metric)
    lines += table.objective_section()
    if args.reading is not None:
        lines += ["## Reading", "", read_reading(Path(args.reading)), ""]
    lines += ["## Per run", ""] + table.per_run_table() + table.notes.flush() + [""]
    return lines


def write_results(args: argparse.Namespace, table_command: str) -> int:
    """Read the exp folder, write the Markdown and the JSON.

    args holds results_table's options, with systems and test_sets as lists of names; table_command is its call.
    """
    exp_dir, out = Path(args.exp_dir), Path(args.out)
    own = dict(pair.split(":", 1) for pair in args.baseline_of)  # system -> its own baseline
    baselines = list(dict.fromkeys(([args.baseline] if args.baseline else []) + list(own.values())))
    rows, base_rows = read_rows(exp_dir, args.systems, baselines, args.test_sets, args.decoder, args.align_set,
                                args.align_teacher, args.seeds_grouping)
    table = Table(rows, base_rows.get(args.baseline), args.test_sets, args.decoder, args.align_set,
                  args.align_teacher, out.parent, {system: base_rows[b] for system, b in own.items()})
    env = environment()
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    lines = sections(args, table) + how_produced(args.command or [], table_command, date, env, rows) + [""]
    write_text(out, "\n".join(lines))
    log.info("wrote %s (%d systems, %d runs)", out, len(rows), sum(len(r.runs) for r in rows))

    data = {"title": args.title, "main_metric": args.main_metric, "date": date, "commands": args.command or [],
            "table_command": table_command, "environment": env, "notes": table.notes.texts, **table.to_dict()}
    json_path = Path(args.json) if args.json else exp_dir / RESULTS_JSON
    write_text(json_path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    log.info("wrote %s", json_path)
    return 0
