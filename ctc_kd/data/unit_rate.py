"""How sparse CTC's output would be for each unit inventory: tokens per second and the share of encoder frames that
must be non-blank, measured on a data dir, to size word pieces before any model is trained."""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ctc_kd.cli import run
from ctc_kd.data.datadir import DataDirError, parse_segments, read_kv
from ctc_kd.data.token_list import char_tokenize, train_bpe

log = logging.getLogger(__name__)


@dataclass
class UnitRate:
    """One unit inventory measured on one data dir."""

    units: str  # "char" or "bpe <size>"
    vocabulary: int  # distinct units the tokenizer can emit (without blank and the special symbols)
    tokens_per_utt: float
    tokens_per_second: float
    nonblank_share: float  # tokens / encoder frames over the whole set
    max_nonblank_share: float  # the same for the densest utterance
    infeasible: int  # utterances whose tokens plus forced blanks (between repeats) exceed their frames


def encoder_frames(samples: int, hop: int = 160, subsampling: int = 4) -> int:
    """Encoder frames of an utterance: STFT frames with centring (samples // hop + 1), then ESPnet's Conv2dSubsampling
    (two 3x3 convolutions of stride 2 for 4x, a third for 8x)."""
    frames = samples // hop + 1
    for _ in range({1: 0, 4: 2, 8: 3}[subsampling]):
        frames = (frames - 1) // 2
    return frames


def min_ctc_frames(tokens: Sequence[str]) -> int:
    """Frames CTC needs for a token sequence: one per token plus a blank between each pair of equal neighbours."""
    return len(tokens) + sum(1 for a, b in zip(tokens, tokens[1:]) if a == b)


def read_samples(data_dir: Path) -> Dict[str, int]:
    """Utterance id -> samples at 16 kHz, from `segments` when there is one, else from each audio file's header."""
    import soundfile

    wav = read_kv(data_dir / "wav.scp")
    if (data_dir / "segments").exists():
        segments = parse_segments(read_kv(data_dir / "segments"), data_dir / "segments")
        return {utt: int(round((end - start) * 16000)) for utt, (_, start, end) in segments.items()}
    out = {}
    for utt, path in wav.items():
        if path.endswith("|"):
            raise DataDirError(f"{data_dir / 'wav.scp'}: '{utt}' is a command, not a file; measure a formatted copy "
                               f"(dump/raw/org/<set>) instead")
        info = soundfile.info(path)
        out[utt] = int(round(info.frames * 16000 / info.samplerate))
    return out


def measure(name: str, tokenized: Dict[str, List[str]], samples: Dict[str, int], vocabulary: int,
            hop: int, subsampling: int) -> UnitRate:
    """The rates of one tokenization of the utterances."""
    tokens = sum(len(t) for t in tokenized.values())
    frames = {utt: encoder_frames(samples[utt], hop, subsampling) for utt in tokenized}
    return UnitRate(
        units=name, vocabulary=vocabulary, tokens_per_utt=tokens / len(tokenized),
        tokens_per_second=tokens / (sum(samples[u] for u in tokenized) / 16000),
        nonblank_share=tokens / sum(frames.values()),
        max_nonblank_share=max(len(t) / max(frames[u], 1) for u, t in tokenized.items()),
        infeasible=sum(1 for u, t in tokenized.items() if min_ctc_frames(t) > frames[u]))


def unit_rates(data_dir: Path, sizes: Sequence[int], model_type: str = "unigram", hop: int = 160,
               subsampling: int = 4) -> List[UnitRate]:
    """Characters, then a BPE model of each size trained on the data dir's own text as stage 5 trains it."""
    import sentencepiece as spm

    text = {u: t for u, t in read_kv(data_dir / "text").items() if t.strip()}
    samples = read_samples(data_dir)
    missing = sorted(set(text) - set(samples))
    if missing:
        raise DataDirError(f"{data_dir / 'wav.scp'}: no audio for '{missing[0]}' ({len(missing)} utterances)")
    chars = {u: char_tokenize(t) for u, t in text.items()}
    rows = [measure("char", chars, samples, len({c for t in chars.values() for c in t}), hop, subsampling)]
    with tempfile.TemporaryDirectory(prefix="unit_rate.") as tmp:
        for size in sizes:
            model = Path(tmp) / f"bpe{size}.model"
            used = train_bpe(list(text.values()), model, size, model_type, [])
            processor = spm.SentencePieceProcessor(model_file=str(model))
            pieces = {u: processor.encode(t, out_type=str) for u, t in text.items()}
            rows.append(measure(f"bpe {used}", pieces, samples, used - 3, hop, subsampling))  # - <unk>, <s>, </s>
    return rows


def markdown(rows: Sequence[UnitRate], frame_ms: int) -> str:
    """The rows as a Markdown table."""
    out = [f"| units | vocabulary | tokens / utterance | tokens / s | non-blank share of {frame_ms} ms frames | "
           f"densest utterance | utterances CTC cannot fit |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r.units} | {r.vocabulary} | {r.tokens_per_utt:.1f} | {r.tokens_per_second:.2f} | "
                   f"{100 * r.nonblank_share:.1f}% | {100 * r.max_nonblank_share:.1f}% | {r.infeasible} |")
    return "\n".join(out) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ctc_kd.data.unit_rate", description=__doc__)
    parser.add_argument("data_dir", type=Path, help="data dir whose text and audio are measured (e.g. data/train)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 300, 500, 1000],
                        help="BPE vocabulary sizes to train and measure (default: 100 200 300 500 1000)")
    parser.add_argument("--bpe_model_type", default="unigram", help="sentencepiece model type (default unigram)")
    parser.add_argument("--hop_length", type=int, default=160, help="feature hop in samples at 16 kHz (default 160)")
    parser.add_argument("--subsampling", type=int, choices=(1, 4, 8), default=4,
                        help="the encoder's frame subsampling (default 4: conv2d, 40 ms frames at hop 160)")
    args = parser.parse_args(argv)

    def body():
        rows = unit_rates(args.data_dir, args.sizes, args.bpe_model_type, args.hop_length, args.subsampling)
        sys.stdout.write(markdown(rows, args.hop_length * args.subsampling // 16))

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
