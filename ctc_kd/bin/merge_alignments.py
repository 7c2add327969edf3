"""Join a data dir's N shard alignment analyses into one: alignment.json with the whole set's numbers (the shards'
exact counts and offset histograms added up), offsets.png of them, and posteriors.png of the whole set's utterance.

Shard K analysed DATA_DIR/split<N>/<K> (ctc_kd.data.split) into OUT_DIR/split<N>/<K> with ctc_kd.bin.alignment, one
job each (asr_kd.sh's --inference_nj). The plotted utterance is chosen over the whole set, as one job chooses it
(--plot_utt, or the median-length one); when its shard plotted another, both models run on it here, alone. Give the
options the shards were given (the merge checks each shard's made_by: both exports' weights, its split of the
data, the options), and --num_shards.

    python -m ctc_kd.bin.merge_alignments --num_shards 4 --teacher_dir exp/teacher/export \\
        --student_dir exp/x/export --data_dir dump/raw/dev --out_dir exp/x/alignment/dev
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from ctc_kd.alignment.merge_shards import merge
from ctc_kd.alignment.options import add_options
from ctc_kd.cli import run


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ctc_kd.bin.merge_alignments", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    add_options(parser)
    parser.add_argument("--num_shards", type=int, required=True, help="the N shards the data dir was analysed in")
    parser.add_argument("--shard_log", default=None, help="the shard jobs' log with JOB, named for a missing shard")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    from ctc_kd.teacher.loader import TeacherMismatchError  # unreadable weights, named by the message

    return run(lambda: merge(args) and 0, errors=(ValueError, OSError, TeacherMismatchError))


if __name__ == "__main__":
    sys.exit(main())
