"""Spike-timing analysis of a student against its teacher on a data dir: alignment.json and PNG plots.

Both models (exported plain ESPnet models, as ctc_kd.bin.export_student writes them) run batched and
padding-invariantly (as ctc_kd.bin.decode's greedy decoder), so every utterance's posteriors equal running it alone.
For each utterance the teacher's spikes are matched to the student's (definitions: ctc_kd.analysis.spike_timing).
Writes into OUT_DIR: posteriors.png (one utterance: both models' blank and best non-blank probability over time,
spikes labelled with their tokens), offsets.png (the offset histogram), then alignment.json (the numbers, the
models, the data; written last, atomically).

    python -m ctc_kd.bin.alignment --teacher_dir exp/teacher/export --student_dir exp/student_skd/export \\
        --data_dir dump/raw/dev --out_dir exp/student_skd/alignment/dev
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from ctc_kd.alignment.analyse import analyse
from ctc_kd.cli import run


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.alignment",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--teacher_dir", required=True, help="the teacher's export: config.yaml + model.pth")
    parser.add_argument("--student_dir", required=True, help="the student's export: config.yaml + model.pth")
    parser.add_argument("--data_dir", required=True,
                        help="a dumped data dir with wav.scp (e.g. dump/raw/dev); its text titles posteriors.png")
    parser.add_argument("--out_dir", required=True, help="writes alignment.json, posteriors.png, offsets.png")
    parser.add_argument("--max_offset", type=int, default=None,
                        help="a teacher spike with no same-token student spike within this many frames is a miss "
                             "(default: no limit, only a token the student never emits in the utterance is a miss)")
    parser.add_argument("--plot_utt", default=None,
                        help="the utterance of posteriors.png (default: the median-length one)")
    parser.add_argument("--hist_clip", type=int, default=10,
                        help="offsets.png shows offsets -N..N; larger ones are counted in the edge bars")
    parser.add_argument("--batch_size", type=int, default=16, help="utterances per batch")
    parser.add_argument("--batch_bins", type=int, default=0,
                        help="also cap a batch at this many padded samples (utterances x longest); 0: no cap")
    parser.add_argument("--log_every", type=int, default=100, help="a progress line every N utterances")
    parser.add_argument("--ngpu", type=int, choices=(0, 1), default=0, help="1: run the models on the GPU")
    parser.add_argument("--num_threads", type=int, default=0,
                        help="CPU threads for torch (0: torch's default); fewer than the free cores avoids contention")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    from ctc_kd.teacher.loader import TeacherMismatchError  # unreadable weights, named by the message

    return run(lambda: analyse(args) and 0, errors=(ValueError, OSError, TeacherMismatchError))


if __name__ == "__main__":
    sys.exit(main())
