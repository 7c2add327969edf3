"""Join a data dir's N shard decodings into one: the text, token and token_int of decoding it in one job, and one
decode_info.json (its counts and seconds summed over the shards).

Shard K decoded DATA_DIR/split<N>/<K> (ctc_kd.data.split) into OUTPUT_DIR/split<N>/<K> with ctc_kd.bin.decode, one
job each (asr_kd.sh's --inference_nj). A shard without its decode_info.json (which decode writes last), of another
model or settings, older than the model, or of other utterances than the data dir's is refused, naming it; the
files are written atomically, decode_info.json last.

    python -m ctc_kd.bin.merge_decodings --num_shards 4 --data_dir dump/raw/test --output_dir exp/x/decode/test \\
        --shard_log exp/x/decode/log/decode.JOB.log
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from ctc_kd.cli import run
from ctc_kd.decoding.merge_shards import merge


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ctc_kd.bin.merge_decodings", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--num_shards", type=int, required=True, help="the N shards each data dir was decoded in")
    parser.add_argument("--data_dir", required=True, nargs="+", help="the data dirs whose split<N>/ was decoded")
    parser.add_argument("--output_dir", required=True, nargs="+", help="one per --data_dir: holds split<N>/<K>")
    parser.add_argument("--shard_log", default=None, help="the shard jobs' log with JOB, named for a missing shard")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)

    def body():
        if len(args.data_dir) != len(args.output_dir):
            raise ValueError(f"{len(args.data_dir)} --data_dir but {len(args.output_dir)} --output_dir: one each")
        for data_dir, output_dir in zip(args.data_dir, args.output_dir):
            merge(Path(data_dir), Path(output_dir), args.num_shards, args.shard_log)

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
