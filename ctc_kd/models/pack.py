"""ESPnet's packed-model zip of an exported plain model; light to import (no torch, no ESPnet task)."""
from pathlib import Path

import yaml

from ctc_kd.complete_files import written_whole


def pack_plain(config_path: Path, model_path: Path, zip_path: Path) -> Path:
    """ESPnet's own packed-model zip (meta.yaml + files), which `espnet2.main_funcs.pack_funcs.unpack` reads."""
    from espnet2.main_funcs.pack_funcs import pack

    with open(config_path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    extra = [p for p in ((config.get("normalize_conf") or {}).get("stats_file"), config.get("bpemodel")) if p]
    with written_whole(zip_path) as tmp:  # a kill mid-pack leaves no zip that looks finished
        pack(
            files={"asr_model_file": str(model_path)},
            yaml_files={"asr_train_config": str(config_path)},
            outpath=str(tmp),
            option=extra,
        )
    return Path(zip_path)
