"""The layer-pruning baseline's starting point: the first l encoder blocks of a trained model, without its CTC head."""
import re
from pathlib import Path

import torch

from ctc_kd.complete_files import written_whole
from ctc_kd.init.origin import pruned_path
from ctc_kd.teacher.loader import read_state_dict

BLOCK_KEY = re.compile(r"^encoder\.encoders\.(\d+)\.")
# Dropped whatever the number of blocks: the CTC head (the pruned model gets a new one) and an attention decoder
# (it learnt from the full encoder's output; the pruned model is CTC only, like the exported SKD sub-model).
DROPPED_PREFIXES = ("ctc.", "decoder.")


def count_blocks(state: dict) -> int:
    """Encoder blocks in a state dict (encoder.encoders.<i>.*)."""
    found = {int(m.group(1)) for m in map(BLOCK_KEY.match, state) if m}
    return max(found) + 1 if found else 0


def pruned_state_dict(state: dict, blocks: int, source: str = "the state dict") -> dict:
    """Everything before and including block `blocks` (frontend, normaliser, subsampling, blocks 1..l, the encoder's
    final norm), without later blocks, the CTC head and the decoder."""
    total = count_blocks(state)
    if total == 0:
        raise ValueError(f"{source} has no encoder.encoders.<i> blocks: it cannot be layer-pruned")
    if not 1 <= blocks < total:
        raise ValueError(f"cannot keep the first {blocks} blocks of {source}, which has {total}: a pruned model keeps "
                         f"1 to {total - 1} (set encoder_conf.num_blocks of the pruned config in that range)")
    kept = {}
    for key, value in state.items():
        m = BLOCK_KEY.match(key)
        if key.startswith(DROPPED_PREFIXES) or (m and int(m.group(1)) >= blocks):
            continue
        kept[key] = value
    return kept


def write_pruned(checkpoint, blocks: int) -> Path:
    """Write the pruned weights of `checkpoint` beside it (under a temporary name, then renamed); returns the path.

    Re-made when older than the checkpoint, so a retrained source is never pruned from stale weights.
    """
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise FileNotFoundError(f"{checkpoint} does not exist: train the model to prune first")
    out = pruned_path(checkpoint, blocks)
    if out.exists() and out.stat().st_mtime >= checkpoint.stat().st_mtime:
        return out
    kept = pruned_state_dict(read_state_dict(checkpoint), blocks, source=str(checkpoint))
    with written_whole(out) as partial:
        torch.save(kept, partial)
    return out
