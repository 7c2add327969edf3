"""Feature statistics and shape files with ESPnet's collect_stats, split over parallel jobs, resumable."""
import argparse
import sys
from pathlib import Path

from ctc_kd import shards
from ctc_kd.cli import setup_logging
from ctc_kd.data.feature_stats import collect_stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, help="a training config: its frontend decides the features")
    parser.add_argument("--output_dir", required=True, type=Path)
    parser.add_argument("--train_dir", required=True)
    parser.add_argument("--valid_dir", required=True)
    parser.add_argument("--token_type", required=True)
    parser.add_argument("--token_list", required=True)
    parser.add_argument("--bpemodel", default=None)
    parser.add_argument("--nj", type=int, default=2, help="shards run as processes here, then merged")
    shards.add_options(parser, "compute only shard K of the utterances (a launcher's JOB), into "
                       "OUTPUT_DIR/split<N>/<K>", "aggregate OUTPUT_DIR's statistics")
    args = parser.parse_args(argv)
    setup_logging()
    return collect_stats(args)


if __name__ == "__main__":
    sys.exit(main())
