"""Spike-timing analysis of a student against its teacher on a data dir: alignment.json and PNG plots.

Both models (exported plain ESPnet models, as ctc_kd.bin.export_student writes them) run batched and
padding-invariantly (as ctc_kd.bin.decode's greedy decoder), so every utterance's posteriors equal running it alone.
For each utterance the teacher's spikes are matched to the student's (definitions: ctc_kd.analysis.spike_timing).
Writes into OUT_DIR: posteriors.png (one utterance: both models' blank and best non-blank probability over time,
spikes labelled with their tokens), offsets.png (the offset histogram), then alignment.json (the numbers, the
models, the data, and made_by: both exports' weight digests, wav.scp's sha256 and the options; written last,
atomically), and alignment.log (this analysis's log lines). Several students (and as many out dirs, in the same
order) are analysed in one process: ESPnet and the teacher load once for all.

    python -m ctc_kd.bin.alignment --teacher_dir exp/teacher/export --student_dir exp/student_skd/export \\
        --data_dir dump/raw/dev --out_dir exp/student_skd/alignment/dev
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from ctc_kd.alignment.analyse import analyse_students
from ctc_kd.alignment.options import add_options
from ctc_kd.cli import run


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.alignment",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    add_options(parser, several_students=True)
    parser.add_argument("--skip_analysed", action="store_true",
                        help="keep a student's analysis whose alignment.json records the same weights, wav.scp and "
                             "options as now (asr_kd.sh's stage 13); otherwise it is analysed again")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    from ctc_kd.teacher.loader import TeacherMismatchError  # unreadable weights, named by the message

    return run(lambda: analyse_students(args, args.student_dir, args.out_dir, args.skip_analysed) and 0,
               errors=(ValueError, OSError, TeacherMismatchError))


if __name__ == "__main__":
    sys.exit(main())
