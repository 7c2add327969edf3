"""Join a data dir's N shard decodings (OUTPUT_DIR/split<N>/<K>, each of DATA_DIR/split<N>/<K>) into OUTPUT_DIR: the
text, token and token_int of decoding it in one job, and one decode_info.json with the shards' counts and seconds."""
import json
import logging
from pathlib import Path
from typing import Optional

from ctc_kd import shards
from ctc_kd.cache.meta import file_sha256
from ctc_kd.complete_files import write_text
from ctc_kd.data.datadir import read_kv, write_lines
from ctc_kd.experiment.layout import DECODE_INFO
from ctc_kd.experiment.output_record import MADE_BY

log = logging.getLogger(__name__)
HYPOTHESES = ("text", "token", "token_int")
SUMMED = ("num_utts", "audio_seconds", "decode_seconds", "read_seconds", "frames", "blank_frames")
SAME = ("decoder", "model", "params", "beam_size", "ctc_weight", "penalty", "maxlenratio", "batch_size", "batch_bins")


def check_shard(info: dict, first: dict, path: Path, data_dir: Path, shard: int, num_shards: int) -> None:
    """A shard decoded its own split of the data dir, as it is now, with the first shard's weights and search."""
    wanted = shards.shard_dir(data_dir, shard, num_shards)
    if Path(info["data_dir"]).resolve() != wanted.resolve():
        raise shards.ShardError(f"{path} is a decoding of {info['data_dir']}, not of {wanted}: decode shard {shard} "
                                "again")
    differ = [key for key in SAME if info.get(key) != first.get(key)]
    made, first_made = info.get(MADE_BY), first.get(MADE_BY)
    if made is None or first_made is None:
        raise shards.ShardError(f"{path} does not record what made it (made_by: a decoding by an older ctc_kd): "
                                f"decode shard {shard} again")
    differ += [f"{MADE_BY}.{key}" for key in ("weights", "search") if made.get(key) != first_made.get(key)]
    if differ:
        raise shards.ShardError(f"{path} and shard 1's decoding differ in {', '.join(differ)}: decode every shard "
                                "with one model and search")
    if made.get("wav_scp") != file_sha256(wanted / "wav.scp"):
        raise shards.ShardError(f"{path} is a decoding of another {wanted / 'wav.scp'} than the one there now: "
                                f"decode shard {shard} again")


def merge(data_dir: Path, output_dir: Path, num_shards: int, shard_log: Optional[str] = None) -> dict:
    """Write OUTPUT_DIR's hypotheses and decode_info.json from its N shards; returns the decode_info."""
    infos, hypotheses = [], {name: {} for name in HYPOTHESES}
    for shard, path in enumerate(shards.finished(output_dir, num_shards, DECODE_INFO, shard_log), start=1):
        info = json.loads(path.read_text(encoding="utf-8"))
        check_shard(info, infos[0] if infos else info, path, data_dir, shard, num_shards)
        infos.append(info)
        for name in HYPOTHESES:  # whole lines: a hypothesis may end in a space
            lines = (path.parent / name).read_text(encoding="utf-8").splitlines()
            hypotheses[name].update((line.split(" ", 1)[0], line) for line in lines)
    utterances = set(read_kv(data_dir / "wav.scp"))
    if set(hypotheses["text"]) != utterances:
        differ = sorted(utterances ^ set(hypotheses["text"]))
        raise shards.ShardError(f"the {num_shards} shard decodings in {output_dir} hold other utterances than "
                                f"{data_dir / 'wav.scp'} ({', '.join(differ[:5])}): split {data_dir} again "
                                "(ctc_kd.data.split) and decode every shard")
    info = dict(infos[0], data_dir=str(data_dir), num_shards=num_shards)
    info[MADE_BY] = dict(info[MADE_BY], wav_scp=file_sha256(data_dir / "wav.scp"))
    for key in SUMMED:
        if key in info:
            info[key] = sum(part[key] for part in infos)
    info["rtf"] = info["decode_seconds"] / info["audio_seconds"] if info["audio_seconds"] else None
    if "frames" in info:
        info["blank_ratio"] = info["blank_frames"] / info["frames"] if info["frames"] else None
    for name in HYPOTHESES:
        write_lines(output_dir / name, (hypotheses[name][utt] for utt in sorted(hypotheses[name])))
    write_text(output_dir / DECODE_INFO, json.dumps(info, indent=2) + "\n")
    log.info(f"{output_dir}: {len(utterances)} utterances of {num_shards} shards merged: RTF {info['rtf'] or 0:.4f}")
    return info
