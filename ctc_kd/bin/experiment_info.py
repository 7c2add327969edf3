"""Small questions the stage script asks about configs and experiment folders, answered on stdout."""
import argparse
import sys
from pathlib import Path

import yaml

from ctc_kd.complete_files import zip_problem

EXTERNAL_CHECKPOINT = "external.pth"  # exp/<teacher>/external.pth: a teacher trained elsewhere


def load_yaml(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"ERROR: {path} does not exist")
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def best_checkpoint(exp_dir) -> Path:
    """The checkpoint ESPnet selected by the config's first best_model_criterion (e.g. valid.cer_ctc.best.pth)."""
    exp_dir = Path(exp_dir)
    if (exp_dir / EXTERNAL_CHECKPOINT).exists():
        return exp_dir / EXTERNAL_CHECKPOINT
    config = load_yaml(exp_dir / "config.yaml")
    for phase, metric, _ in config.get("best_model_criterion") or []:
        candidate = exp_dir / f"{phase}.{metric}.best.pth"
        if candidate.exists():
            return candidate
    epochs = sorted(exp_dir.glob("*epoch.pth"), key=lambda p: int(p.name.split("epoch")[0]))
    if epochs:
        return epochs[-1]
    missing = f"ERROR: {exp_dir} has no selected checkpoint ({config.get('best_model_criterion')}) and no epoch.pth"
    if (exp_dir / ".done").exists():
        raise SystemExit(f"{missing}, though its training finished: only its results were kept (e.g. in a clone of "
                         f"the repository); delete {exp_dir} and train it again")
    raise SystemExit(f"{missing}: its training has not finished; re-run its training stage")


def get(config, key) -> str:
    value = load_yaml(config)
    for part in key.split("."):
        value = (value or {}).get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def parent(name: str, chain: str) -> str:
    """From "child:parent child2:parent2", the parent of `name` (empty when it starts from scratch)."""
    for link in chain.split():
        child, _, mother = link.partition(":")
        if not mother:
            raise SystemExit(f"ERROR: --init_chain entry '{link}' is not child:parent")
        if child == name:
            return mother
    return ""


def init_param(parent_dir, child_config) -> str:
    """ESPnet's --init_param for the child: the parent's best weights, minus projections the child lacks."""
    spec = str(best_checkpoint(parent_dir))
    model_conf = load_yaml(child_config).get("model_conf") or {}
    if not float(model_conf.get("repr_kd_weight", 0.0)) > 0:
        spec += ":::repr_projections"
    return spec


def cache_layers(configs) -> str:
    """The teacher layers the kd_student configs distil hidden states from (what stage 9 must cache)."""
    layers = set()
    for config in configs:
        loaded = load_yaml(config)
        model_conf = loaded.get("model_conf") or {}
        if loaded.get("model") == "kd_student" and float(model_conf.get("repr_kd_weight", 0.0)) > 0:
            layers |= {int(t) for _, t in model_conf.get("repr_layer_pairs", [[-1, -1]])}
    return " ".join(str(layer) for layer in sorted(layers))


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
    init = commands.add_parser("init-param")
    init.add_argument("parent_dir")
    init.add_argument("child_config")
    commands.add_parser("cache-layers").add_argument("configs", nargs="*")
    commands.add_parser("check-whole", help="exit 1, saying why, when a torch file or zip is damaged").add_argument(
        "file")
    args = parser.parse_args(argv)
    if args.command == "best-checkpoint":
        print(best_checkpoint(args.exp_dir))
    elif args.command == "get":
        print(get(args.config, args.key))
    elif args.command == "parent":
        print(parent(args.name, args.chain))
    elif args.command == "init-param":
        print(init_param(args.parent_dir, args.child_config))
    elif args.command == "cache-layers":
        print(cache_layers(args.configs))
    else:
        problem = zip_problem(args.file)
        if problem:
            print(problem)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
