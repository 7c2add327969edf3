"""What made a finished output (a decoding, a spike-timing analysis), recorded in its JSON so it is reused only
while the same inputs would make it again; file times never decide it (a clone gives every file the clone's time)."""
import json
from pathlib import Path
from typing import Optional

MADE_BY = "made_by"  # the key of the record in decode_info.json and alignment.json


def recorded(info_file, *outputs) -> Optional[dict]:
    """The made_by of info_file, or None when it or one of the outputs written before it is missing (unfinished),
    it is cut short, or it was written before outputs recorded what made them."""
    files = [Path(info_file), *map(Path, outputs)]
    if not all(path.is_file() for path in files):
        return None
    try:
        info = json.loads(files[0].read_text(encoding="utf-8"))
    except ValueError:
        return None
    return info.get(MADE_BY) if isinstance(info, dict) else None
