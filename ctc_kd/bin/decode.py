"""Decode a data dir with a trained model: fast batched greedy CTC, or stock ESPnet beam search; writes text + RTF.

Writes OUTPUT_DIR/text (`<utt> <hypothesis text>`), OUTPUT_DIR/token, OUTPUT_DIR/token_int (sorted by utterance id)
and OUTPUT_DIR/decode_info.json (decoder, its settings, params (trained parameters), num_utts, audio_seconds,
decode_seconds, rtf, batch_size, device, threads; greedy also frames, blank_frames and blank_ratio, the share of
encoder frames whose best-path label is blank), each file atomically; decode_info.json is written last.
decode_seconds counts the model's work (frontend, encoder, search), not reading audio (read_seconds).

Greedy: best-path CTC over length-sorted batches, padding-invariant (ctc_kd.inference.padding_mask), so every
hypothesis equals decoding the utterance alone. Beam: ESPnet's Speech2Text one utterance at a time; with
--ctc_weight 1 (default) that is CTC prefix beam search, which even at --beam_size 1 is not greedy decoding;
with --ctc_weight < 1 a hybrid model's attention decoder joins the search.

    python -m ctc_kd.bin.decode --model_dir exp/export --data_dir dump/raw/test --output_dir exp/export/decode_test
    python -m ctc_kd.bin.decode --config exp/student/config.yaml --model_file exp/student/valid.cer_ctc.best.pth \\
        --data_dir dump/raw/test --decoder beam --beam_size 10 --output_dir exp/student/decode_beam10_test

A decode config (--decode_config conf/decode_beam.yaml) is a YAML mapping of the search options below (decoder,
beam_size, ctc_weight, penalty, maxlenratio, batch_size, batch_bins, num_threads) without dashes; an option given
on the command line as well wins, except --decoder, which must then agree with the config.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import yaml

from ctc_kd.models.param_count import count_parameters
from ctc_kd.cli import run
from ctc_kd.inference.device import inference_device
from ctc_kd.data.datadir import DataDirError, atomic_path, read_kv, write_kv

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 30.0


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.decode",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    model = parser.add_argument_group("model: --model_dir, or --config and --model_file")
    model.add_argument("--model_dir", default=None, help="an exported plain ESPnet model: config.yaml + model.pth")
    model.add_argument("--config", default=None, help="any ctc_kd training's config.yaml (exported on the fly)")
    model.add_argument("--model_file", default=None, help="with --config: its weights, e.g. valid.cer_ctc.best.pth")
    model.add_argument("--export_dir", default=None, help="with --config: keep the export there (else a temp dir)")
    model.add_argument("--skd_full_model", action="store_true",
                       help="with --config of a self-KD training: decode the full model, not the l-block sub-model")
    parser.add_argument("--data_dir", required=True, nargs="+",
                        help="data dirs with wav.scp (e.g. dump/raw/dev dump/raw/test), decoded with one model load")
    parser.add_argument("--output_dir", required=True, nargs="+",
                        help="one per --data_dir: writes text, token, token_int, decode_info.json there")
    parser.add_argument("--decode_config", default=None,
                        help="YAML file of search options (keys as the option names, e.g. beam_size: 20)")
    parser.add_argument("--decoder", choices=("greedy", "beam"), default="greedy",
                        help="greedy: batched best-path CTC; beam: ESPnet Speech2Text, one utterance at a time")
    parser.add_argument("--batch_size", type=int, default=16, help="greedy: utterances per batch")
    parser.add_argument("--batch_bins", type=int, default=0,
                        help="greedy: also cap a batch at this many padded samples (utterances x longest); 0: no cap")
    beam = parser.add_argument_group("beam (ESPnet Speech2Text options, passed through)")
    beam.add_argument("--beam_size", type=int, default=10)
    beam.add_argument("--ctc_weight", type=float, default=1.0,
                      help="1.0: CTC prefix search; < 1 also scores with a hybrid model's attention decoder")
    beam.add_argument("--penalty", type=float, default=0.0, help="insertion bonus per token")
    beam.add_argument("--maxlenratio", type=float, default=0.0, help="0: hypotheses up to the encoder length")
    parser.add_argument("--ngpu", type=int, choices=(0, 1), default=0, help="1: decode on the GPU")
    parser.add_argument("--num_threads", type=int, default=0,
                        help="CPU threads for torch (0: torch's default); fewer than the free cores avoids contention")
    return parser


CONFIG_OPTIONS = ("decoder", "beam_size", "ctc_weight", "penalty", "maxlenratio", "batch_size", "batch_bins",
                  "num_threads")  # what a decode config may set: the search, never the model or the data


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """The command line over the --decode_config file over the defaults."""
    parser = get_parser()
    args = parser.parse_args(argv)
    if not args.decode_config:
        return args
    settings = read_decode_config(Path(args.decode_config))
    given = [a.split("=", 1)[0] for a in (argv if argv is not None else sys.argv[1:]) if a.startswith("--")]
    if "decoder" in settings and "--decoder" in given and settings["decoder"] != args.decoder:
        raise ValueError(f"{args.decode_config} says decoder: {settings['decoder']} but the command line says "
                         f"--decoder {args.decoder}: drop one of them")
    parser.set_defaults(**settings)
    return parser.parse_args(argv)


def read_decode_config(path: Path) -> dict:
    """The options in a decode config, type-checked by the parser; unknown keys name the file and the known ones."""
    if not path.is_file():
        raise ValueError(f"decode config {path} does not exist")
    with path.open(encoding="utf-8") as f:
        settings = yaml.safe_load(f) or {}
    if not isinstance(settings, dict):
        raise ValueError(f"{path} must be a YAML mapping of option: value, e.g. 'beam_size: 20'")
    unknown = sorted(set(settings) - set(CONFIG_OPTIONS))
    if unknown:
        raise ValueError(f"{path}: unknown decode options {unknown}; a decode config may set {list(CONFIG_OPTIONS)}")
    tokens = [token for key, value in settings.items() for token in (f"--{key}", str(value))]
    try:
        checked = vars(get_parser().parse_args(["--data_dir", "-", "--output_dir", "-", *tokens]))
    except SystemExit:  # argparse printed which value is wrong
        raise ValueError(f"{path}: a value is not valid for its option (see the message above)") from None
    return {key: checked[key] for key in settings}


def check_model_args(args: argparse.Namespace) -> None:
    """Exactly one way of naming the model."""
    if args.model_dir and (args.config or args.model_file):
        raise ValueError("give either --model_dir or --config with --model_file, not both")
    if not args.model_dir and not (args.config and args.model_file):
        raise ValueError("name the model: --model_dir DIR (an export), or --config with --model_file (a training)")
    if args.export_dir and args.model_dir:
        raise ValueError("--export_dir goes with --config/--model_file: --model_dir is an export already")
    if args.skd_full_model and args.model_dir:
        raise ValueError("--skd_full_model applies to --config/--model_file of a self-KD training, not --model_dir")


def model_files(args: argparse.Namespace, tmp: Path) -> Tuple[Path, Path]:
    """(config.yaml, model.pth) of a plain ESPnet model: the export in --model_dir, or one exported into tmp."""
    if not args.model_dir:
        from ctc_kd.models.export import export_plain

        out = Path(args.export_dir) if args.export_dir else tmp / "export"
        return export_plain(args.config, args.model_file, out, submodel=not args.skd_full_model)
    model_dir = Path(args.model_dir)
    config_path, model_path = model_dir / "config.yaml", model_dir / "model.pth"
    for path in (config_path, model_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: --model_dir must be an export (ctc_kd.bin.export_student)")
    return relocate_side_files(config_path, tmp), model_path


def relocate_side_files(config_path: Path, tmp: Path) -> Path:
    """An export's stats/BPE paths may be relative to where it was made: point them at the copies beside it."""
    with config_path.open(encoding="utf-8") as f:
        config = yaml.safe_load(f)
    changed = False
    for holder, key in ((config.get("normalize_conf") or {}, "stats_file"), (config, "bpemodel")):
        source = holder.get(key)
        if source and not Path(source).is_file():
            beside = config_path.parent / Path(source).name
            if not beside.is_file():
                raise FileNotFoundError(f"{config_path}: {key} {source} is neither found from {Path.cwd()} "
                                        f"nor as {beside}")
            holder[key], changed = str(beside.resolve()), True
    if not changed:
        return config_path
    fixed = tmp / "config.yaml"
    fixed.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return fixed


def model_sample_rate(config: dict) -> Optional[int]:
    """The sample rate the model's frontend expects (None without a frontend)."""
    if config.get("frontend") in (None, "none"):
        return None
    fs = (config.get("frontend_conf") or {}).get("fs", 16000)
    if isinstance(fs, str):
        import humanfriendly

        fs = humanfriendly.parse_size(fs)
    return int(fs)


def audio_lengths(data_dir: Path, sample_rate: Optional[int]) -> Tuple[Dict[str, str], Dict[str, int], int]:
    """(utt -> audio path, utt -> samples, sample rate) from wav.scp, checking every file up front."""
    import soundfile

    data_dir = Path(data_dir)
    if (data_dir / "segments").is_file():
        raise DataDirError(f"{data_dir / 'segments'}: segments are not supported; decode the dumped dir (dump/raw/...)")
    wav_scp = read_kv(data_dir / "wav.scp")
    if not wav_scp:
        raise DataDirError(f"{data_dir / 'wav.scp'}: no utterances")
    lengths, rates = {}, set()
    for utt, path in wav_scp.items():
        if path.endswith("|"):
            raise DataDirError(f"{data_dir / 'wav.scp'}: '{utt}' is a pipe ({path}); decode the dumped dir "
                               "(dump/raw/...)")
        try:
            info = soundfile.info(path)
        except Exception as e:  # soundfile raises RuntimeError/LibsndfileError/FileNotFoundError
            raise DataDirError(f"{data_dir / 'wav.scp'}: '{utt}': cannot read {path} with soundfile ({e})") from None
        if info.channels != 1:
            raise DataDirError(f"{path} ('{utt}' in {data_dir / 'wav.scp'}) has {info.channels} channels; need mono")
        if sample_rate is not None and info.samplerate != sample_rate:
            raise DataDirError(
                f"{path} ('{utt}' in {data_dir / 'wav.scp'}) is {info.samplerate} Hz but the model expects "
                f"{sample_rate} Hz; resample the data dir (dump it with the model's fs)"
            )
        lengths[utt] = info.frames
        rates.add(info.samplerate)
    if len(rates) > 1:
        raise DataDirError(f"{data_dir / 'wav.scp'}: mixed sample rates {sorted(rates)}; resample to one")
    return wav_scp, lengths, rates.pop()


def read_audio(path: str, volume: Optional[float]) -> np.ndarray:
    """A waveform as ESPnet's data loader gives it: float in [-1, 1] (float64 read, float32 kept), preprocessed."""
    import soundfile

    speech = soundfile.read(path)[0].astype(np.float32)
    if volume is not None and np.abs(speech).max() != 0:  # the preprocessor's speech_volume_normalize
        speech = speech * volume / np.abs(speech).max()
    return speech


class Progress:
    """Logs how far decoding got, at most every PROGRESS_SECONDS and at the end."""

    def __init__(self, total: int):
        self.total, self.done, self.start, self.last = total, 0, time.perf_counter(), time.perf_counter()

    def add(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if now - self.last >= PROGRESS_SECONDS or self.done == self.total:
            self.last = now
            log.info(f"decoded {self.done}/{self.total} utterances in {now - self.start:.1f} s")


def greedy_decoder(config_path, model_path, args, device):
    from ctc_kd.inference.greedy import GreedyCTCDecoder

    return GreedyCTCDecoder.from_files(config_path, model_path, device)


def decode_greedy(decoder, wav_scp, lengths, args, device, volume) -> Tuple[dict, float, float, dict]:
    """Hypotheses {utt: (text, tokens, ids)}, decode and read seconds of batched greedy decoding, and the frame
    counts (frames, blank_frames, blank_ratio: the share of frames whose best-path label is blank)."""
    from ctc_kd.inference.greedy import make_batches

    hyps, decode_seconds, read_seconds = {}, 0.0, 0.0
    frames = {"frames": 0, "blank_frames": 0}
    batches = make_batches(lengths, args.batch_size, args.batch_bins)
    log.info(f"greedy CTC decoding of {len(lengths)} utterances in {len(batches)} batches on {device}")
    progress = Progress(len(lengths))
    for batch in batches:
        start = time.perf_counter()
        speech = [read_audio(wav_scp[utt], volume) for utt in batch]
        read_seconds += time.perf_counter() - start
        start = time.perf_counter()
        results = decoder.decode_batch(speech, names=batch)
        decode_seconds += time.perf_counter() - start
        hyps.update((utt, (h.text, h.token, h.token_int)) for utt, h in zip(batch, results))
        frames["frames"] += sum(h.frames for h in results)
        frames["blank_frames"] += sum(h.blank_frames for h in results)
        progress.add(len(batch))
    frames["blank_ratio"] = frames["blank_frames"] / frames["frames"] if frames["frames"] else None
    return hyps, decode_seconds, read_seconds, frames


def beam_decoder(config_path, model_path, args, device):
    from espnet2.bin.asr_inference import Speech2Text

    return Speech2Text(
        asr_train_config=str(config_path), asr_model_file=str(model_path), device=device, beam_size=args.beam_size,
        ctc_weight=args.ctc_weight, lm_weight=0.0, penalty=args.penalty, maxlenratio=args.maxlenratio, nbest=1,
    )


def decode_beam(speech2text, wav_scp, lengths, args, device, volume) -> Tuple[dict, float, float, dict]:
    """Hypotheses, decode seconds and read seconds of ESPnet's Speech2Text, one utterance at a time (no frame
    counts: the search does not expose its best path)."""
    from ctc_kd.inference.greedy import too_short

    log.info(f"Speech2Text beam search (beam {args.beam_size}, ctc_weight {args.ctc_weight}) of {len(lengths)} "
             f"utterances on {device}")
    hyps, decode_seconds, read_seconds = {}, 0.0, 0.0
    progress = Progress(len(lengths))
    for utt in wav_scp:
        start = time.perf_counter()
        speech = read_audio(wav_scp[utt], volume)
        read_seconds += time.perf_counter() - start
        start = time.perf_counter()
        try:
            with torch.no_grad():
                text, token, token_int, _ = speech2text(speech)[0]
        except Exception as e:  # noqa: BLE001 - only an utterance too short for the model is let through
            if not too_short(e):
                raise
            log.warning(f"'{utt}' ({len(speech)} samples): too short for the model ({e}); empty output")
            text, token, token_int = "", [], []
        decode_seconds += time.perf_counter() - start
        hyps[utt] = (text if text is not None else " ".join(token), token, token_int)
        progress.add(1)
    return hyps, decode_seconds, read_seconds, {}


def decode(args: argparse.Namespace) -> List[dict]:
    """Decode each data dir into its output dir with one model; returns each decode_info."""
    check_model_args(args)
    if args.batch_size < 1:
        raise ValueError(f"--batch_size must be at least 1, got {args.batch_size}")
    if len(args.data_dir) != len(args.output_dir):
        raise ValueError(f"{len(args.data_dir)} --data_dir but {len(args.output_dir)} --output_dir: give one each")
    for output_dir in args.output_dir:
        check_writable(Path(output_dir))
    device = inference_device(args.ngpu, args.num_threads)
    from ctc_kd.espnet_import import import_espnet_quietly

    import_espnet_quietly()
    with tempfile.TemporaryDirectory(prefix="ctc_kd_decode.") as tmp:
        config_path, model_path = model_files(args, Path(tmp))
        params = count_parameters(model_path)  # kept with the results: the model itself is not committed
        with open(config_path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
        volume = (config.get("preprocessor_conf") or {}).get("speech_volume_normalize")
        settings = {"decoder": args.decoder}
        if args.decoder == "beam":
            trained_ctc_weight = (config.get("model_conf") or {}).get("ctc_weight", 0.5)  # 1.0: no decoder built
            has_decoder = config.get("decoder") not in (None, "none") and trained_ctc_weight < 1.0
            if args.ctc_weight < 1.0 and not has_decoder:
                log.warning(f"--ctc_weight {args.ctc_weight} but {config_path} has no attention decoder: using 1.0")
                args.ctc_weight = 1.0
            settings.update(beam_size=args.beam_size, ctc_weight=args.ctc_weight, penalty=args.penalty,
                            maxlenratio=args.maxlenratio, batch_size=1)
            decoder, run_decoder = beam_decoder(config_path, model_path, args, device), decode_beam
        else:
            settings.update(beam_size=None, batch_size=args.batch_size, batch_bins=args.batch_bins)
            decoder, run_decoder = greedy_decoder(config_path, model_path, args, device), decode_greedy
        infos = []
        for data_dir, output_dir in zip(args.data_dir, args.output_dir):
            wav_scp, lengths, sample_rate = audio_lengths(Path(data_dir), model_sample_rate(config))
            hyps, decode_seconds, read_seconds, frames = run_decoder(decoder, wav_scp, lengths, args, device, volume)
            infos.append(write_info(args, settings, data_dir, output_dir, hyps, lengths, sample_rate,
                                    decode_seconds, read_seconds, device, params, frames))
    return infos


def write_info(args, settings, data_dir, output_dir, hyps, lengths, sample_rate, decode_seconds, read_seconds, device,
               params, frames):
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


def write_outputs(out_dir: Path, hyps: Dict[str, Tuple[str, List[str], List[int]]], info: dict) -> None:
    """text, token, token_int (sorted by utterance), then decode_info.json, each atomically."""
    write_kv(out_dir / "text", {utt: h[0] for utt, h in hyps.items()})
    write_kv(out_dir / "token", {utt: h[1] for utt, h in hyps.items()})
    write_kv(out_dir / "token_int", {utt: h[2] for utt, h in hyps.items()})
    with atomic_path(out_dir / "decode_info.json") as tmp:
        tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log.info(f"wrote {out_dir}/text, token, token_int, decode_info.json")


def main(argv: Optional[List[str]] = None) -> int:
    from ctc_kd.teacher.loader import TeacherMismatchError  # unreadable weights, named by the message

    return run(lambda: decode(parse_args(argv)) and 0, errors=(ValueError, OSError, TeacherMismatchError))


if __name__ == "__main__":
    sys.exit(main())
