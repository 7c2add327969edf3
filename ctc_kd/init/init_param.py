"""Where a child run's weights start from: its --init_chain parent, checked to fit, as ESPnet --init_param specs."""
from pathlib import Path

from ctc_kd.experiment.config_file import load_yaml
from ctc_kd.experiment.layout import CONFIG, best_checkpoint
from ctc_kd.init.architecture import architecture_mismatches, encoder_blocks, read_token_list


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
    if sub_head not in ("copy", "new"):
        raise SystemExit(f"ERROR: the SKD sub-head starts as 'copy' or 'new', not '{sub_head}'")
    parent_dir, parent_config = Path(parent_dir), Path(parent_dir) / CONFIG
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
