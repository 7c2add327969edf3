"""Join a data dir's N shard alignment analyses into one: alignment.json with the whole set's numbers (the shards'
exact counts and offset histograms added up), offsets.png of them, and posteriors.png of the whole set's utterance."""
import argparse
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import List, Tuple

from ctc_kd import shards
from ctc_kd.alignment.analyse import analyse
from ctc_kd.alignment.compare import pick_plot_utt
from ctc_kd.alignment.identity import export_digest, made_by
from ctc_kd.analysis.spike_timing import AlignmentTotals
from ctc_kd.complete_files import write_text, written_whole
from ctc_kd.data.datadir import DataDir, restrict
from ctc_kd.experiment.layout import ALIGNMENT, OFFSETS_PNG, POSTERIORS_PNG
from ctc_kd.experiment.output_record import MADE_BY
from ctc_kd.inference.audio import audio_lengths

log = logging.getLogger(__name__)


def check_shard(info: dict, path: Path, args: argparse.Namespace, shard: int, weights: Tuple[str, str]) -> None:
    """A shard analysed its own split of the data dir, as it is now, with these exports' weights (teacher, student)
    and this --max_offset."""
    wanted_dir = shards.shard_dir(args.data_dir, shard, args.num_shards)
    if Path(info["data_dir"]).resolve() != wanted_dir.resolve():
        raise shards.ShardError(f"{path} has data_dir {info['data_dir']}, not {wanted_dir}: analyse shard {shard} "
                                "again")
    record, wanted = info.get(MADE_BY), made_by(*weights, wanted_dir, args)
    if record is None:
        raise shards.ShardError(f"{path} does not record what made it (made_by: an analysis by an older ctc_kd): "
                                f"analyse shard {shard} again")
    # the plots are drawn here again, over the whole set: of the options only --max_offset changes a shard's numbers
    differ = [key for key in ("teacher", "student", "wav_scp") if record.get(key) != wanted[key]]
    if (record.get("options") or {}).get("max_offset") != args.max_offset:
        differ.append("--max_offset")
    if differ:
        raise shards.ShardError(f"{path} was made with another {', '.join(differ)} than now (teacher "
                                f"{args.teacher_dir}, student {args.student_dir}, wav_scp {wanted_dir / 'wav.scp'}, "
                                f"--max_offset {args.max_offset}): analyse shard {shard} again")


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
    paths = shards.finished(out, args.num_shards, ALIGNMENT, args.shard_log)
    infos, totals = [], AlignmentTotals()
    weights = export_digest(args.teacher_dir), export_digest(args.student_dir)
    for shard, path in enumerate(paths, start=1):
        info = json.loads(path.read_text(encoding="utf-8"))
        check_shard(info, path, args, shard, weights)
        infos.append(info)
        totals.merge(AlignmentTotals.from_summary(info))
    summary = totals.summary()
    plot_utt = plot_of_whole_set(args, infos, paths)
    with written_whole(out / OFFSETS_PNG) as partial:
        plot_histogram(partial, summary, args.hist_clip, heading=f"{args.student_dir} vs {args.teacher_dir}")
    info = {**infos[0], "data_dir": str(args.data_dir), **summary, "plot_utt": plot_utt,
            "audio_seconds": sum(part["audio_seconds"] for part in infos),
            "seconds": sum(part["seconds"] for part in infos), "num_shards": args.num_shards,
            MADE_BY: made_by(*weights, args.data_dir, args)}
    write_text(out / ALIGNMENT, json.dumps(info, indent=2) + "\n")
    shares = ", ".join(f"{name} {'n/a' if summary[key] is None else f'{summary[key] * 100:.2f}%'}"
                       for name, key in (("exact", "exact_share"), ("missed", "miss_rate")))
    log.info(f"wrote {out}/{ALIGNMENT} from {args.num_shards} shards: {summary['teacher_spikes']} teacher spikes: "
             f"{shares} ({summary['utterances']} utterances)")
    return info
