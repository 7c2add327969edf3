"""What made a decoding's hypotheses: the model's weights, the data's wav.scp and the search settings that change
them; a set is decoded again when any of them differs from what its decode_info.json records."""
from pathlib import Path
from typing import Optional

from ctc_kd.cache.meta import file_sha256
from ctc_kd.experiment.layout import DECODE_INFO
from ctc_kd.experiment.output_record import recorded

# the search settings that change the hypotheses; greedy batching does not (it is padding-invariant), nor threads
SEARCH_KEYS = ("decoder", "beam_size", "ctc_weight", "penalty", "maxlenratio")


def made_by(weights: str, data_dir, settings: dict) -> dict:
    """The record of one set's decoding: the weights' digest, the wav.scp's sha256 and the search settings."""
    return {"weights": weights, "wav_scp": file_sha256(Path(data_dir) / "wav.scp"),
            "search": {key: settings.get(key) for key in SEARCH_KEYS}}


def decoded_by(output_dir) -> Optional[dict]:
    """What made the finished decoding in output_dir (None: unfinished, or older than these records)."""
    return recorded(Path(output_dir) / DECODE_INFO, Path(output_dir) / "text")
