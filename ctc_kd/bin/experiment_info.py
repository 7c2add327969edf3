"""Small questions the stage script asks about configs and experiment folders, answered on stdout."""
import argparse
import sys
from pathlib import Path

from ctc_kd.complete_files import zip_problem
from ctc_kd.experiment.config_file import dotted_value, load_yaml
from ctc_kd.experiment.layout import CONFIG, best_checkpoint
from ctc_kd.init.init_param import init_param, parent
from ctc_kd.init.origin import initialised_from


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("best-checkpoint").add_argument("exp_dir")
    getter = commands.add_parser("get")
    getter.add_argument("config")
    getter.add_argument("key", help="dotted, e.g. model_conf.skd_layer")
    chain = commands.add_parser("parent")
    chain.add_argument("name")
    chain.add_argument("chain", nargs="?", default="")
    init = commands.add_parser("init-param", help="one ESPnet --init_param spec a line")
    init.add_argument("parent_dir")
    init.add_argument("child_config")
    init.add_argument("--token_list", help="the child's token list file, when its config has none")
    init.add_argument("--stats_file", help="the child's feature statistics, compared with the parent's")
    init.add_argument("--sub_head", default="copy", choices=("copy", "new"),
                      help="an SKD child's sub-head: the parent's trained CTC head, or a new one")
    commands.add_parser("initialised-from", help="the folder a run's (or a config's own) weights start from").add_argument(
        "path", help="an experiment folder (its config.yaml) or a training config")
    commands.add_parser("cache-layers").add_argument("configs", nargs="*")
    commands.add_parser("check-whole", help="exit 1, saying why, when a torch file or zip is damaged").add_argument(
        "file")
    args = parser.parse_args(argv)
    if args.command == "best-checkpoint":
        print(best_checkpoint(args.exp_dir))
    elif args.command == "get":
        print(dotted_value(args.config, args.key))
    elif args.command == "parent":
        print(parent(args.name, args.chain))
    elif args.command == "init-param":
        print("\n".join(init_param(args.parent_dir, args.child_config, args.token_list, args.stats_file,
                                   args.sub_head)))
    elif args.command == "initialised-from":
        config = Path(args.path) / CONFIG if Path(args.path).is_dir() else Path(args.path)
        print(initialised_from(load_yaml(config)) if config.is_file() else "")
    elif args.command == "cache-layers":
        from ctc_kd.cache.layers import cache_layers  # imports torch: only this question pays for it

        print(cache_layers(args.configs))
    else:
        problem = zip_problem(args.file)
        if problem:
            print(problem)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
