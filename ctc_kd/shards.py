"""A job's share of a data set (shard K of N), and the check that every shard finished before their outputs merge.

A parallel stage runs one job per shard (`$cmd JOB=1:N log.JOB.log tool ... --shard JOB --num_shards N`), on this
machine or on a cluster; each job writes into OUT/split<N>/<K>/ and, last, its record (shard.json: the settings it
ran with and what the merge needs). The same tool with --merge_shards N then joins the N shards into OUT, and
refuses while a record is missing (naming that shard's log) or was written with other settings (a stale run).
Standard library and complete_files (itself standard library only): every layer of ctc_kd uses it.
"""
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ctc_kd.complete_files import write_text

RECORD = "shard.json"
JOB = "JOB"  # the launchers' job-number placeholder, as in --shard_log exp/x/log/decode.JOB.log


class ShardError(ValueError):
    """A shard option or a shard set that cannot be merged; the message names the file and the fix."""


def add_options(parser, shard_help: str, merged: str) -> None:
    """The sharding options of a tool: --shard K --num_shards N runs one job, --merge_shards N joins them."""
    parser.add_argument("--shard", type=int, default=None, metavar="K", help=shard_help)
    parser.add_argument("--num_shards", type=int, default=1, metavar="N", help="how many jobs share the work")
    parser.add_argument("--merge_shards", type=int, default=None, metavar="N",
                        help=f"{merged} from the N finished jobs (refused while one has not finished)")
    parser.add_argument("--shard_log", default=None, help="the jobs' log name with JOB, named when one is missing")


def check_shard(shard: int, num_shards: int) -> None:
    """Refuse a shard number outside 1..num_shards."""
    if num_shards < 1:
        raise ShardError(f"--num_shards must be at least 1, got {num_shards}")
    if not 1 <= shard <= num_shards:
        raise ShardError(f"--shard {shard} is not one of 1..{num_shards} (--num_shards {num_shards})")


def select(keys: Sequence[str], shard: int, num_shards: int) -> List[str]:
    """Shard K's keys: the K-th of N consecutive blocks whose sizes differ by at most one (some may be empty)."""
    check_shard(shard, num_shards)
    size, extra = divmod(len(keys), num_shards)
    start = (shard - 1) * size + min(shard - 1, extra)
    return list(keys[start:start + size + (shard <= extra)])


def shard_dir(out_dir, shard: int, num_shards: int) -> Path:
    """Where shard K of N writes its part of OUT: OUT/split<N>/<K> (Kaldi's split<N> layout)."""
    return Path(out_dir) / f"split{num_shards}" / str(shard)


def log_of(shard_log: Optional[str], shard: int) -> str:
    """Shard K's log from the pattern the launcher was given, or a hint when the caller did not say."""
    if not shard_log:
        return "its job's log"
    return shard_log.replace(JOB, str(shard))


def write_record(out_dir, shard: int, num_shards: int, settings: Dict, results: Optional[Dict] = None) -> Path:
    """Shard K's record, written last and atomically: the settings it ran with and its results for the merge."""
    path = shard_dir(out_dir, shard, num_shards) / RECORD
    record = {"shard": shard, "num_shards": num_shards, "settings": settings, "results": results or {}}
    write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def done(out_dir, shard: int, num_shards: int, settings: Dict) -> bool:
    """Whether shard K has its record, written with these settings (a re-run then skips it)."""
    path = shard_dir(out_dir, shard, num_shards) / RECORD
    return path.is_file() and json.loads(path.read_text(encoding="utf-8"))["settings"] == settings


def finished(out_dir, num_shards: int, output: str, shard_log: Optional[str] = None) -> List[Path]:
    """Each shard's `output` file (the one it writes last), in shard order; refused while one is missing."""
    if num_shards < 1:
        raise ShardError(f"--num_shards must be at least 1, got {num_shards}")
    paths = [shard_dir(out_dir, shard, num_shards) / output for shard in range(1, num_shards + 1)]
    missing = [f"shard {shard} (no {path}; see {log_of(shard_log, shard)})"
               for shard, path in enumerate(paths, start=1) if not path.is_file()]
    if missing:
        raise ShardError(f"cannot merge {out_dir}: {len(missing)} of {num_shards} shards did not finish: "
                         + "; ".join(missing) + f". Run the missing shards again (--num_shards {num_shards}), then "
                         "merge")
    return paths


def read_records(out_dir, num_shards: int, settings: Dict, shard_log: Optional[str] = None) -> List[Dict]:
    """Every shard's results, in shard order; refused while a shard has no record or one of other settings."""
    results = []
    for shard, path in enumerate(finished(out_dir, num_shards, RECORD, shard_log), start=1):
        record = json.loads(path.read_text(encoding="utf-8"))
        changed = sorted(k for k in set(settings) | set(record["settings"])
                         if record["settings"].get(k) != settings.get(k))
        if changed:
            then = ", ".join(f"{k}={record['settings'].get(k)!r}" for k in changed)
            now = ", ".join(f"{k}={settings.get(k)!r}" for k in changed)
            raise ShardError(f"{path} was written by a run with {then}, not {now}: run shard {shard} of {num_shards} "
                             f"again with these settings (or delete {Path(out_dir) / f'split{num_shards}'})")
        results.append(record["results"])
    return results
