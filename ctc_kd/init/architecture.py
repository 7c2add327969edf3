"""Whether a model can start from another's weights: same encoder, frontend, normalisation and token list."""
from pathlib import Path
from typing import List, Optional, Sequence

# Keys of an ESPnet ASR config that fix the shapes and meaning of the weights before the CTC head.
ARCHITECTURE_KEYS = ("input_size", "frontend", "frontend_conf", "normalize", "preencoder", "preencoder_conf",
                     "encoder", "encoder_conf")
DECODER_KEYS = ("decoder", "decoder_conf")  # compared unless layer pruning, which drops the source's decoder
# encoder_conf entries that change training, not the weights (dropout is off at inference).
TRAINING_ONLY = ("dropout_rate", "positional_dropout_rate", "attention_dropout_rate", "layer_drop_rate")


def encoder_blocks(config: dict) -> int:
    """Encoder blocks of a config (ESPnet's encoders default to 6 when num_blocks is not written)."""
    return int((config.get("encoder_conf") or {}).get("num_blocks", 6))


def _comparable(config: dict, key: str, ignore: Sequence[str]):
    value = config.get(key)
    if value is None and key.endswith("_conf"):
        value = {}  # ESPnet writes {} for an option a recipe config leaves out
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in ignore}
    return value


def architecture_mismatches(source: dict, target: dict, *, fewer_blocks: bool = False,
                            target_tokens: Optional[Sequence[str]] = None) -> List[str]:
    """What differs between two configs' architectures (empty: the weights fit), as "key: source vs target".

    With fewer_blocks the target may keep only the first blocks of the source (layer pruning): num_blocks may
    then be smaller, never larger. The token list is the target's, or target_tokens when the config has none (a
    recipe config before the stage script fills it in).
    """
    ignore = TRAINING_ONLY + (("num_blocks",) if fewer_blocks else ())
    found = []
    for key in ARCHITECTURE_KEYS + (() if fewer_blocks else DECODER_KEYS):
        left, right = _comparable(source, key, ignore), _comparable(target, key, ignore)
        if left != right:
            found.append(f"{key}: {left} vs {right}")
    if fewer_blocks and encoder_blocks(target) >= encoder_blocks(source):
        found.append(f"encoder_conf.num_blocks: {encoder_blocks(source)} vs {encoder_blocks(target)} (a pruned "
                     "model keeps fewer blocks than its source)")
    tokens = target.get("token_list") or target_tokens
    if tokens is not None and list(source.get("token_list") or []) != list(tokens):
        found.append(f"token_list: {len(source.get('token_list') or [])} tokens vs {len(tokens)} tokens, or "
                     "other tokens")
    return found


def read_token_list(path) -> List[str]:
    """A token list file (one token a line), as ESPnet reads --token_list."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"token list {path} does not exist: run stage 5 (token list) first")
    with path.open(encoding="utf-8") as f:
        return [line[0] + line[1:].rstrip() for line in f]
