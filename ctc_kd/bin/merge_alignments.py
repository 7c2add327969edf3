"""Join a data dir's N shard alignment analyses into one: alignment.json with the whole set's numbers (the shards'
exact counts and offset histograms added up), offsets.png of them, and posteriors.png of the whole set's utterance.

Shard K analysed DATA_DIR/split<N>/<K> (ctc_kd.data.split) into OUT_DIR/split<N>/<K> with ctc_kd.bin.alignment, one
job each (asr_kd.sh's --inference_nj). The plotted utterance is chosen over the whole set, as one job chooses it
(--plot_utt, or the median-length one); when its shard plotted another, both models run on it here, alone. Give the
options the shards were given (the merge checks the models, data and --max_offset), and --num_shards.

    python -m ctc_kd.bin.merge_alignments --num_shards 4 --teacher_dir exp/teacher/export \\
        --student_dir exp/x/export --data_dir dump/raw/dev --out_dir exp/x/alignment/dev
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

from ctc_kd import shards
from ctc_kd.analysis.spike_timing import AlignmentTotals
from ctc_kd.bin.alignment import HISTOGRAM_PNG, POSTERIORS_PNG, analyse, get_parser as alignment_parser, pick_plot_utt
from ctc_kd.bin.decode import audio_lengths
from ctc_kd.complete_files import written_whole
from ctc_kd.data.cli import run
from ctc_kd.data.datadir import DataDir, atomic_path, restrict

log = logging.getLogger(__name__)
RESULT = "alignment.json"


def check_shard(info: dict, path: Path, args: argparse.Namespace, shard: int) -> None:
    """A shard analysed its own split of the data dir with these models and --max_offset, after both were exported."""
    wanted = {"data_dir": shards.shard_dir(args.data_dir, shard, args.num_shards), "teacher": Path(args.teacher_dir),
              "student": Path(args.student_dir)}
    for key, value in wanted.items():
        if Path(info[key]).resolve() != value.resolve():
            raise shards.ShardError(f"{path} has {key} {info[key]}, not {value}: analyse shard {shard} again")
    if info["max_offset"] != args.max_offset:
        raise shards.ShardError(f"{path} was analysed with --max_offset {info['max_offset']}, not {args.max_offset}:"
                                f" analyse shard {shard} again")
    for model in (args.teacher_dir, args.student_dir):
        weights = Path(model) / "model.pth"
        if weights.is_file() and path.stat().st_mtime < weights.stat().st_mtime:
            raise shards.ShardError(f"{path} is older than the model {weights}: analyse shard {shard} again")


def plot_of_whole_set(args: argparse.Namespace, infos: List[dict], paths: List[Path]) -> str:
    """Put posteriors.png of the whole set's plot utterance into OUT_DIR (its shard's, or drawn again); its id."""
    data_dir, out = Path(args.data_dir), Path(args.out_dir)
    _, lengths, _ = audio_lengths(data_dir, None)
    plot_utt = pick_plot_utt(lengths, args.plot_utt, data_dir / "wav.scp")
    with written_whole(out / POSTERIORS_PNG) as partial:
        drawn = [path.parent / POSTERIORS_PNG for info, path in zip(infos, paths) if info["plot_utt"] == plot_utt]
        if drawn:
            partial.write_bytes(drawn[0].read_bytes())
        else:
            log.info(f"drawing {plot_utt}, the whole set's plot utterance: both models run on it alone")
            with tempfile.TemporaryDirectory(prefix="ctc_kd_alignment_plot.") as tmp:
                maps = DataDir(data_dir).read_all(required=("wav.scp",))
                DataDir(Path(tmp) / "data").write_all(restrict(maps, [plot_utt]))
                alone = argparse.Namespace(**{**vars(args), "data_dir": str(Path(tmp) / "data"),
                                              "out_dir": str(Path(tmp) / "out"), "plot_utt": plot_utt})
                analyse(alone)
                os.replace(Path(tmp) / "out" / POSTERIORS_PNG, partial)
    return plot_utt


def merge(args: argparse.Namespace) -> dict:
    """Write OUT_DIR's plots and alignment.json from its N shards; returns alignment.json's content."""
    from ctc_kd.analysis.plots import plot_histogram

    out = Path(args.out_dir)
    paths = shards.finished(out, args.num_shards, RESULT, args.shard_log)
    infos, totals = [], AlignmentTotals()
    for shard, path in enumerate(paths, start=1):
        info = json.loads(path.read_text(encoding="utf-8"))
        check_shard(info, path, args, shard)
        infos.append(info)
        totals.merge(AlignmentTotals.from_summary(info))
    summary = totals.summary()
    plot_utt = plot_of_whole_set(args, infos, paths)
    with written_whole(out / HISTOGRAM_PNG) as partial:
        plot_histogram(partial, summary, args.hist_clip, heading=f"{args.student_dir} vs {args.teacher_dir}")
    info = {**infos[0], "data_dir": str(args.data_dir), **summary, "plot_utt": plot_utt,
            "audio_seconds": sum(part["audio_seconds"] for part in infos),
            "seconds": sum(part["seconds"] for part in infos), "num_shards": args.num_shards}
    with atomic_path(out / RESULT) as path:
        path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    shares = ", ".join(f"{name} {'n/a' if summary[key] is None else f'{summary[key] * 100:.2f}%'}"
                       for name, key in (("exact", "exact_share"), ("missed", "miss_rate")))
    log.info(f"wrote {out}/{RESULT} from {args.num_shards} shards: {summary['teacher_spikes']} teacher spikes: "
             f"{shares} ({summary['utterances']} utterances)")
    return info


def get_parser() -> argparse.ArgumentParser:
    parser = alignment_parser()
    parser.prog = "python -m ctc_kd.bin.merge_alignments"
    parser.description, parser.epilog = __doc__.split("\n\n")[0], __doc__.split("\n\n", 1)[1]
    parser.add_argument("--num_shards", type=int, required=True, help="the N shards the data dir was analysed in")
    parser.add_argument("--shard_log", default=None, help="the shard jobs' log with JOB, named for a missing shard")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    from ctc_kd.teacher.loader import TeacherMismatchError  # unreadable weights, named by the message

    return run(lambda: merge(args) and 0, errors=(ValueError, OSError, TeacherMismatchError))


if __name__ == "__main__":
    sys.exit(main())
