"""Import a teacher trained elsewhere as exp/<teacher> (stage 7 with --teacher_model)."""
import argparse
import sys

from ctc_kd.experiment.external_teacher import import_teacher


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model_file", help="the teacher's weights (.pth)")
    parser.add_argument("config_file", help="the config.yaml its training wrote")
    parser.add_argument("exp_dir", help="exp/<teacher_name> to make")
    parser.add_argument("--token_list", help="this recipe's token list, which the teacher's must equal")
    args = parser.parse_args(argv)
    import_teacher(args.model_file, args.config_file, args.exp_dir, args.token_list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
