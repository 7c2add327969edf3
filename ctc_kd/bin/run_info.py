"""Print as JSON this machine's environment and, per exp/<system> folder, its training time, epochs and parameters."""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from ctc_kd.cli import setup_logging
from ctc_kd.results.environment import environment
from ctc_kd.results.run_summary import system_info


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.run_info",
        description="Print as JSON this machine's environment and, per exp/<system> folder given, its training time "
                    "and epochs (from train.log) and its trained parameters (from export/model.pth).",
    )
    parser.add_argument("system_dirs", nargs="*", help="exp/<system> folders")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    setup_logging()
    info = {"environment": environment(), "systems": [system_info(d) for d in args.system_dirs]}
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
