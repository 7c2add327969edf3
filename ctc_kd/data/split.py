"""Split a data dir into N shard data dirs, DIR/split<N>/<K>, so that each job of a parallel stage reads its own.

As Kaldi's split_data.sh: the utterances in sorted order, cut into N consecutive blocks of near-equal size
(ctc_kd.shards), every file restricted to the block and spk2utt regenerated. Each file is written atomically, so a
split made again (by another system's decoding of the same set) never shows a reader half a file.

    python -m ctc_kd.data.split --num_shards 4 dump/raw/test   # dump/raw/test/split4/1 .. 4
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import List, Optional

from ctc_kd import shards
from ctc_kd.cli import run
from ctc_kd.data.datadir import DataDir, DataDirError, PathLike, restrict

log = logging.getLogger(__name__)


def split_data_dir(data_dir: PathLike, num_shards: int) -> List[Path]:
    """Write data_dir/split<N>/1..N; returns their paths."""
    maps = DataDir(data_dir).read_all(required=("wav.scp", "utt2spk"))
    utts = sorted(maps["utt2spk"])
    if not 1 <= num_shards <= len(utts):
        raise DataDirError(f"--num_shards {num_shards}: {data_dir} has {len(utts)} utterances; split it into 1 to "
                           f"{len(utts)} shards (a shard without an utterance has nothing to do)")
    dirs = []
    for shard in range(1, num_shards + 1):
        out = shards.shard_dir(data_dir, shard, num_shards)
        DataDir(out).write_all(restrict(maps, shards.select(utts, shard, num_shards)))
        dirs.append(out)
    log.info("%s: %d utterances in %d shards (%s/split%d/1..%d)", data_dir, len(utts), num_shards, data_dir,
             num_shards, num_shards)
    return dirs


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ctc_kd.data.split", description=__doc__.split("\n\n")[0])
    parser.add_argument("--num_shards", type=int, required=True, help="how many shard data dirs to write")
    parser.add_argument("data_dir", nargs="+", help="data dirs to split, each into its own split<N>/")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    return run(lambda: [split_data_dir(d, args.num_shards) for d in args.data_dir] and 0)


if __name__ == "__main__":
    sys.exit(main())
