"""Decode data dirs with one model load: the model named, the search set up, each set decoded and written."""
import argparse
import json
import logging
import tempfile
from pathlib import Path
from typing import List

import yaml

from ctc_kd.decoding.identity import decoded_by, made_by
from ctc_kd.decoding.outputs import check_writable, write_info
from ctc_kd.decoding.searches import beam_decoder, decode_beam, decode_greedy, greedy_decoder
from ctc_kd.experiment.layout import DECODE_INFO
from ctc_kd.experiment.output_record import MADE_BY
from ctc_kd.inference.audio import audio_lengths, model_sample_rate
from ctc_kd.inference.device import inference_device
from ctc_kd.inference.plain_model import plain_model_files
from ctc_kd.models.param_count import count_parameters
from ctc_kd.models.weights_digest import weights_digest

log = logging.getLogger(__name__)


def decode(args: argparse.Namespace) -> List[dict]:
    """Decode each data dir into its output dir with one model; returns each decode_info.

    args holds ctc_kd.bin.decode's options: the model (model_dir, or config, model_file, export_dir, skd_full_model),
    data_dir and output_dir (lists of one length), the search (decoder, its settings), ngpu, num_threads and
    skip_decoded (keep a set's decoding when decode_info.json records these weights, this wav.scp and this search).
    """
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
        config_path, model_path = plain_model_files(Path(tmp), args.model_dir, args.config, args.model_file,
                                                    args.export_dir, submodel=not args.skd_full_model)
        params = count_parameters(model_path)  # kept with the results: the model itself is not committed
        with open(config_path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
        volume = (config.get("preprocessor_conf") or {}).get("speech_volume_normalize")
        settings = search_settings(args, config, config_path)
        weights = weights_digest(model_path)
        infos, decoder = [], None
        for data_dir, output_dir in zip(args.data_dir, args.output_dir):
            record = made_by(weights, data_dir, settings)
            if args.skip_decoded and decoded_by(output_dir) == record:
                log.info(f"skip {output_dir}: decoded already by these weights, from this wav.scp, with this search")
                infos.append(json.loads((Path(output_dir) / DECODE_INFO).read_text(encoding="utf-8")))
                continue
            decoder = decoder or build_decoder(args, config_path, model_path, device)
            wav_scp, lengths, sample_rate = audio_lengths(Path(data_dir), model_sample_rate(config))
            hyps, decode_seconds, read_seconds, frames = RUNNERS[args.decoder](decoder, wav_scp, lengths, args,
                                                                               device, volume)
            infos.append(write_info(args, dict(settings, **{MADE_BY: record}), data_dir, output_dir, hyps, lengths,
                                    sample_rate, decode_seconds, read_seconds, device, params, frames))
    return infos


RUNNERS = {"greedy": decode_greedy, "beam": decode_beam}  # --decoder: the function decoding a set with it


def search_settings(args: argparse.Namespace, config: dict, config_path: Path) -> dict:
    """The search settings decode_info.json records for --decoder; a --ctc_weight below 1 falls back to 1 for a
    model without an attention decoder."""
    settings = {"decoder": args.decoder}
    if args.decoder == "beam":
        trained_ctc_weight = (config.get("model_conf") or {}).get("ctc_weight", 0.5)  # 1.0: no decoder built
        has_decoder = config.get("decoder") not in (None, "none") and trained_ctc_weight < 1.0
        if args.ctc_weight < 1.0 and not has_decoder:
            log.warning(f"--ctc_weight {args.ctc_weight} but {config_path} has no attention decoder: using 1.0")
            args.ctc_weight = 1.0
        settings.update(beam_size=args.beam_size, ctc_weight=args.ctc_weight, penalty=args.penalty,
                        maxlenratio=args.maxlenratio, batch_size=1)
        return settings
    settings.update(beam_size=None, batch_size=args.batch_size, batch_bins=args.batch_bins)
    return settings


def build_decoder(args: argparse.Namespace, config_path: Path, model_path: Path, device: str):
    """The loaded model with --decoder's search, built once, when the first set needs decoding."""
    build = beam_decoder if args.decoder == "beam" else greedy_decoder
    return build(config_path, model_path, args, device)
