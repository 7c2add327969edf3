"""Decoding speed: the batched greedy CTC decoder vs stock ESPnet Speech2Text (beam 1, batch 1), and the SKD
sub-model vs its full model.

    python -m bench.decoding [--device cuda] [--utterances 60] [--model_dir exp/teacher/export]

Same model and recordings for both decoders: throughput ratio, real-time factors, and whether the hypotheses are
identical. Then an SKD model (Cathy's: 8 blocks, student = first 4) exported both ways and decoded greedily: the time
ratio against the l/L ideal (the frontend and the subsampling are shared, so the ratio stays above l/L).
"""
import sys
import time
from pathlib import Path

import editdistance
import torch
import yaml

from bench import common


def save_plain(model_and_args, out: Path):
    """config.yaml + model.pth of a plain model, as Speech2Text loads them."""
    from ctc_kd.models.export import plain_model

    model, args = model_and_args
    out.mkdir(parents=True, exist_ok=True)
    config, state = plain_model(args, model.state_dict())
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    torch.save(state, out / "model.pth")
    return out / "config.yaml", out / "model.pth"


def model_files(args, work: Path):
    if args.model_dir:
        return Path(args.model_dir) / "config.yaml", Path(args.model_dir) / "model.pth"
    return save_plain(common.build("train_student_alone", work), work / "plain_student")


def greedy_seconds(config, model_file, audio, device, batch_size):
    from ctc_kd.inference.greedy import GreedyCTCDecoder

    decoder = GreedyCTCDecoder.from_files(config, model_file, device)
    decoder.decode(dict(list(audio.items())[:2]), batch_size=batch_size)  # warm-up
    common.synchronize(device)
    start = time.perf_counter()
    hyps = decoder.decode(audio, batch_size=batch_size)
    common.synchronize(device)
    return time.perf_counter() - start, {k: h.text for k, h in hyps.items()}


def speech2text_seconds(config, model_file, audio, device):
    from espnet2.bin.asr_inference import Speech2Text

    speech2text = Speech2Text(asr_train_config=str(config), asr_model_file=str(model_file), device=device,
                              beam_size=1, ctc_weight=1.0, lm_weight=0.0, nbest=1)
    first = next(iter(audio.values()))
    speech2text(torch.from_numpy(first))  # warm-up
    hyps = {}
    common.synchronize(device)
    start = time.perf_counter()
    for key, wave in audio.items():
        hyps[key] = speech2text(torch.from_numpy(wave))[0][0]
    common.synchronize(device)
    return time.perf_counter() - start, hyps


def skd_models(work: Path):
    """The Cathy SKD model exported as its l-block student and as its full L-block model."""
    from ctc_kd.models.export import plain_model

    model, args = common.build("train_student_skd", work)
    state = model.state_dict()
    out = {}
    for name, submodel in (("sub", True), ("full", False)):
        folder = work / f"skd_{name}"
        folder.mkdir(parents=True, exist_ok=True)
        config, weights = plain_model(args, state, submodel=submodel)
        (folder / "config.yaml").write_text(yaml.safe_dump(config))
        torch.save(weights, folder / "model.pth")
        out[name] = (folder / "config.yaml", folder / "model.pth", config["encoder_conf"]["num_blocks"])
    return out


def main(argv=None) -> int:
    parser = common.base_parser(__doc__)
    parser.add_argument("--utterances", type=int, default=60, help="recordings decoded")
    parser.add_argument("--batch_size", type=int, default=16, help="greedy decoder batch size")
    parser.add_argument("--model_dir", default=None,
                        help="a plain exported model (config.yaml, model.pth); default: a random Cathy student")
    args = parser.parse_args(argv)
    work = common.setup(args)
    audio = common.read_audio(common.utterances(args.utterances, offset=3))
    seconds = common.audio_seconds(audio)
    config, model_file = model_files(args, work)

    greedy_s, greedy_hyps = greedy_seconds(config, model_file, audio, args.device, args.batch_size)
    beam_s, beam_hyps = speech2text_seconds(config, model_file, audio, args.device)
    same = sum(greedy_hyps[k] == beam_hyps[k] for k in audio)
    char_edits = sum(editdistance.eval(greedy_hyps[k], beam_hyps[k]) for k in audio)
    chars = sum(len(beam_hyps[k]) for k in audio)

    skd = skd_models(work)
    skd_s = {}
    for name, (skd_config, skd_weights, _) in skd.items():
        skd_s[name] = greedy_seconds(skd_config, skd_weights, audio, args.device, args.batch_size)[0]
    for name, (skd_config, skd_weights, _) in skd.items():  # twice, interleaved: the second pass is reported
        skd_s[name] = min(skd_s[name], greedy_seconds(skd_config, skd_weights, audio, args.device,
                                                      args.batch_size)[0])
    blocks = {name: value[2] for name, value in skd.items()}
    figures = {
        "data": {"utterances": len(audio), "audio_seconds": round(seconds, 2)},
        "model": str(args.model_dir or "random Cathy student (4 x 96 conformer CTC)"),
        "greedy_vs_speech2text": {
            "greedy_batched_seconds": greedy_s, "speech2text_beam1_seconds": beam_s,
            "throughput_ratio": beam_s / greedy_s, "rtf_greedy": greedy_s / seconds,
            "rtf_speech2text": beam_s / seconds,
            "identical_hypotheses": f"{same}/{len(audio)}",
            "character_difference_percent": 100.0 * char_edits / max(chars, 1),
        },
        "skd_submodel_vs_full": {
            "sub_blocks": blocks["sub"], "full_blocks": blocks["full"], "sub_seconds": skd_s["sub"],
            "full_seconds": skd_s["full"], "time_ratio": skd_s["sub"] / skd_s["full"],
            "ideal_ratio_l_over_L": blocks["sub"] / blocks["full"],
        },
    }
    common.write_result("decoding", args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
