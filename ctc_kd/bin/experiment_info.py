"""Small questions the stage script asks about configs and experiment folders, answered on stdout."""
import argparse
import sys
from pathlib import Path

import yaml

from ctc_kd.complete_files import zip_problem
from ctc_kd.init.origin import initialised_from

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


def _architecture_problems(parent: dict, child: dict, prune: bool, token_list, stats_file) -> list:
    """How the child's architecture differs from the parent's (token list and feature statistics included)."""
    from ctc_kd.init.architecture import architecture_mismatches, read_token_list

    try:
        tokens = read_token_list(token_list) if token_list else None
    except FileNotFoundError as e:
        raise SystemExit(f"ERROR: {e}") from None
    problems = architecture_mismatches(parent, child, fewer_blocks=prune, target_tokens=tokens)
    parent_stats = Path((parent.get("normalize_conf") or {}).get("stats_file") or "")
    if stats_file and parent_stats.is_file() and Path(stats_file).is_file():
        if parent_stats.read_bytes() != Path(stats_file).read_bytes():
            problems.append(f"normalize_conf.stats_file: {parent_stats} vs {stats_file} (other feature statistics)")
    return problems


def _left_out_projections(child: dict) -> str:
    """The spec's exclude part: the learned projections of hidden-state KD terms the child does not use."""
    from ctc_kd.models import kd_terms  # imports ESPnet: only the questions that need the registry pay for it

    kept = {t.name for t in kd_terms.config_terms(child) if t.term.needs == kd_terms.HIDDEN}
    if not kept:
        return ":::" + ",".join(kd_terms.TRAINING_ONLY_PREFIXES)
    dropped = [kd_terms.projection_prefix(name) for name in kd_terms.hidden_term_names() if name not in kept]
    return ":::" + ",".join(dropped) if dropped else ""


def init_param(parent_dir, child_config, token_list=None, stats_file=None, sub_head="copy") -> list:
    """ESPnet's --init_param specs for the child: the parent's best weights, checked to fit the child's architecture.

    A child of fewer encoder blocks than its parent starts from the parent's first blocks (layer pruning; the
    pruned weights are written beside the parent's checkpoint). An SKD child of a model without a sub-head gets as
    sub-head a copy of the trained CTC head (sub_head="copy": block l then starts as the layer-pruned model with
    the full model's head) or a new one ("new"). Projections of hidden-state KD are left out when the child has none.
    ESPnet's init_param loads weights only: the child starts a new optimiser and learning-rate schedule.
    """
    from ctc_kd.init.architecture import encoder_blocks

    if sub_head not in ("copy", "new"):
        raise SystemExit(f"ERROR: the SKD sub-head starts as 'copy' or 'new', not '{sub_head}'")
    parent_dir, parent_config = Path(parent_dir), Path(parent_dir) / "config.yaml"
    child = load_yaml(child_config)
    parent = load_yaml(parent_config)
    prune = encoder_blocks(child) < encoder_blocks(parent)
    problems = _architecture_problems(parent, child, prune, token_list, stats_file)
    if problems:
        raise SystemExit(f"ERROR: {child_config} cannot start from the weights of {parent_dir}: its architecture differs "
                         f"from {parent_config} in {'; '.join(problems)}. Give {child_config} the encoder, frontend, "
                         f"normalisation and token list of {parent_config} (for layer pruning: fewer blocks)")
    plain = parent.get("model", "espnet") == "espnet"
    if plain and child.get("model", "espnet") == "espnet" and not prune:
        raise SystemExit(f"ERROR: {child_config} has as many blocks as {parent_config} "
                         f"({encoder_blocks(child)}): a layer-pruned model keeps fewer; lower its "
                         "encoder_conf.num_blocks (or remove it from --init_chain to train it from scratch)")
    checkpoint = best_checkpoint(parent_dir)
    if prune:
        from ctc_kd.init.prune import write_pruned

        if not plain:
            raise SystemExit(f"ERROR: {child_config} has fewer blocks than {parent_dir}, a '{parent['model']}' model: "
                             "layer pruning starts from a plain (model: espnet) model such as the teacher")
        try:
            return [str(write_pruned(checkpoint, encoder_blocks(child)))]
        except ValueError as e:
            raise SystemExit(f"ERROR: {child_config}: {e}") from None
    specs = [str(checkpoint) + _left_out_projections(child)]
    if child.get("model") == "self_kd" and parent.get("model") != "self_kd" and sub_head == "copy":
        specs.append(f"{checkpoint}:ctc:sub_ctc")
    return specs


def cache_layers(configs) -> str:
    """The teacher layers the kd_student configs distil hidden states from, at any epoch (what stage 9 must cache)."""
    from ctc_kd.models import kd_terms

    layers = set()
    for config in configs:
        loaded = load_yaml(config)
        if loaded.get("model") == "kd_student":
            layers |= set(kd_terms.teacher_layers(kd_terms.config_terms(loaded, warn=False)))
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
    init = commands.add_parser("init-param", help="one ESPnet --init_param spec a line")
    init.add_argument("parent_dir")
    init.add_argument("child_config")
    init.add_argument("--token_list", help="the child's token list file, when its config has none")
    init.add_argument("--stats_file", help="the child's feature statistics, compared with the parent's")
    init.add_argument("--sub_head", default="copy", choices=("copy", "new"),
                      help="an SKD child's sub-head: the parent's trained CTC head, or a new one")
    commands.add_parser("initialised-from", help="the folder a run's weights started from").add_argument("exp_dir")
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
        print("\n".join(init_param(args.parent_dir, args.child_config, args.token_list, args.stats_file,
                                   args.sub_head)))
    elif args.command == "initialised-from":
        config = Path(args.exp_dir) / "config.yaml"
        print(initialised_from(load_yaml(config)) if config.is_file() else "")
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
