"""What made a decoding's hypotheses: the model's weights, the data's wav.scp and the search that changes them.

decode_info.json records it under MADE_BY; a decoding is reused only when all three are the same now, so a changed
model, data dir or search (--beam_size, --decode_config, ...) is decoded again, and file times never decide it (a
clone gives every file the time of the clone).
"""
import hashlib
import json
from pathlib import Path
from typing import Optional

from ctc_kd.cache.meta import file_sha256
from ctc_kd.experiment.layout import DECODE_INFO

MADE_BY = "made_by"
# the search settings that change the hypotheses; greedy batching does not (it is padding-invariant), nor threads
SEARCH_KEYS = ("decoder", "beam_size", "ctc_weight", "penalty", "maxlenratio")


def weights_digest(model_file) -> str:
    """sha256 over a state dict's names, dtypes, shapes and values: the same weights saved again give the same
    digest, whatever the bytes of the file around them."""
    import torch

    state = torch.load(model_file, map_location="cpu", weights_only=True)
    digest = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key]
        if not isinstance(tensor, torch.Tensor):
            digest.update(f"{key}={tensor!r};".encode("utf-8"))
            continue
        digest.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)};".encode("utf-8"))
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def made_by(weights: str, data_dir, settings: dict) -> dict:
    """The record of one set's decoding: the weights' digest, the wav.scp's sha256 and the search settings."""
    return {"weights": weights, "wav_scp": file_sha256(Path(data_dir) / "wav.scp"),
            "search": {key: settings.get(key) for key in SEARCH_KEYS}}


def recorded(output_dir) -> Optional[dict]:
    """What made the decoding in output_dir, or None when it is unfinished or older than these records."""
    info_path, text = Path(output_dir) / DECODE_INFO, Path(output_dir) / "text"
    if not (info_path.is_file() and text.is_file()):
        return None
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return info.get(MADE_BY) if isinstance(info, dict) else None
