"""Compare the settings given now with the record of what made exp/<run> (made_by.json); print the differences."""
import argparse
import sys

from ctc_kd.experiment.made_by import check, current_record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("exp_dir", help="exp/<run>: its made_by.json is compared with the settings given now")
    parser.add_argument("--config", help="the training config (conf/train_<name>.yaml); each key is compared")
    parser.add_argument("--value", action="append", default=[], help="key=value, e.g. seed=1")
    parser.add_argument("--file", action="append", default=[], help="key=path: the file's content is compared")
    parser.add_argument("--write", action="store_true", help="record the settings when there is no record yet "
                        "(a training about to start)")
    args = parser.parse_args(argv)
    changed = check(args.exp_dir, current_record(args.config, args.value, args.file), args.write)
    for line in changed:
        print(line)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
