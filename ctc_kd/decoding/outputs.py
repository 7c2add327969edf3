"""What a decoding leaves in its output dir: the hypotheses (text, token, token_int) and decode_info.json, last."""
import json
import logging
import os
from pathlib import Path
from typing import Dict, List, Tuple

import torch

from ctc_kd.complete_files import write_text
from ctc_kd.data.datadir import write_kv
from ctc_kd.experiment.layout import DECODE_INFO

log = logging.getLogger(__name__)


def check_writable(out_dir: Path) -> None:
    """Refuse an output folder that cannot be written before decoding, not after every utterance is decoded (nothing
    is created here: a decoding that fails on its input leaves no folder behind)."""
    existing = out_dir.absolute()
    while not existing.exists():
        existing = existing.parent
    why = "is not a folder" if not existing.is_dir() else ""
    if not why and not os.access(existing, os.W_OK | os.X_OK):
        why = "is not writable"
    if why:
        raise OSError(f"cannot write the decoding into {out_dir}: {existing} {why}; make it a writable folder, or "
                      "give another --output_dir (asr_kd.sh: --expdir)")


def write_info(args, settings, data_dir, output_dir, hyps, lengths, sample_rate, decode_seconds, read_seconds, device,
               params, frames):
    """Write a set's hypotheses and its decode_info.json (the search, the model, the data, speed and frames)."""
    audio_seconds = sum(lengths.values()) / sample_rate
    info = {
        **settings,
        "model": args.model_dir or args.model_file,
        "params": params,
        "data_dir": str(data_dir),
        "num_utts": len(hyps),
        "audio_seconds": audio_seconds,
        "decode_seconds": decode_seconds,
        "read_seconds": read_seconds,
        "rtf": decode_seconds / audio_seconds if audio_seconds else None,
        "device": device,
        "threads": torch.get_num_threads(),
        **frames,
    }
    write_outputs(Path(output_dir), hyps, info)
    log.info(f"{args.decoder}: {len(hyps)} utterances of {data_dir}, {audio_seconds:.1f} s of audio decoded in "
             f"{decode_seconds:.2f} s: RTF {info['rtf'] or 0:.4f} ({device}, {info['threads']} threads)")
    return info


def write_outputs(out_dir: Path, hyps: Dict[str, Tuple[str, List[str], List[int]]], info: dict) -> None:
    """text, token, token_int (sorted by utterance), then decode_info.json, each atomically."""
    write_kv(out_dir / "text", {utt: h[0] for utt, h in hyps.items()})
    write_kv(out_dir / "token", {utt: h[1] for utt, h in hyps.items()})
    write_kv(out_dir / "token_int", {utt: h[2] for utt, h in hyps.items()})
    write_text(out_dir / DECODE_INFO, json.dumps(info, indent=2) + "\n")
    log.info(f"wrote {out_dir}/text, token, token_int, decode_info.json")
