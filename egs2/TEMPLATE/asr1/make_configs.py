#!/usr/bin/env python3
"""Writes every corpus's train_*.yaml from config_table.py, or with --check lists the files that differ from it.

Usage: python egs2/TEMPLATE/asr1/make_configs.py [--check]
"""
import argparse
import os
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from config_table import CORPORA, SYSTEMS  # noqa: E402

EGS2 = Path(__file__).resolve().parents[2]
WIDTH = 118  # the widest header line the configs were written with
STUDENT_NO_TIME_WARP = (
    "    # time warp off for every student, the student alone included: it shifts the student's frames against the\n"
    "    # teacher's frame-level KD targets, and all students must train alike to stay comparable (teachers keep it)\n"
)


def epoch_split(max_epoch: int) -> dict:
    """FPKD's 60/20/20 split of the corpus's epochs, and SKD's alpha ramp over 20%-80% of them."""
    stage1, stage2 = max_epoch * 3 // 5, max_epoch // 5
    return {
        "epochs": max_epoch, "stage1": stage1, "stage2": stage2, "stage3": max_epoch - stage1 - stage2,
        "stage2_start": stage1 + 1, "stage3_start": stage1 + stage2 + 1,
        "skd_ramp_start": max_epoch // 5, "skd_ramp_end": max_epoch * 4 // 5,
    }


def scalar(value) -> str:
    """A value as the configs write it: YAML's true/false/null, floats without exponents, flow lists and maps."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and "e" in repr(value):
        return f"{value:.12f}".rstrip("0")
    if isinstance(value, list):
        return "[" + ", ".join(scalar(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {scalar(item)}" for key, item in value.items()) + "}"
    return str(value)


def section(name: str, value, conf: dict) -> str:
    """`name: value` and, when `conf` is not empty, `name_conf:` with its keys indented."""
    lines = [f"{name}: {value}\n", f"{name}_conf:\n"] if value is not None else [f"{name}:\n"]
    return "".join(lines + [f"    {key}: {scalar(item)}\n" for key, item in conf.items()])


def header(paragraphs, facts: dict) -> str:
    """The comment block: each paragraph filled with the corpus's facts and wrapped, "\n" kept as a break."""
    lines = []
    for paragraph in paragraphs:
        for part in paragraph.format(**facts).split("\n"):
            lines += textwrap.wrap(part, WIDTH, initial_indent="# ", subsequent_indent="# ",
                                   break_long_words=False, break_on_hyphens=False)
    return "".join(line + "\n" for line in lines) + "\n"


def encoder(system: dict) -> str:
    """The student's or teacher's encoder: conformer, or E-Branchformer for the cross-topology students."""
    blocks = system["blocks"]
    if system.get("encoder") == "e_branchformer":
        return section("encoder", "e_branchformer", {
            "output_size": 256, "attention_heads": 4, "attention_layer_type": "rel_selfattn",
            "pos_enc_layer_type": "rel_pos", "rel_pos_type": "latest", "cgmlp_linear_units": 1024,
            "cgmlp_conv_kernel": 31, "use_linear_after_conv": False, "gate_activation": "identity",
            "num_blocks": blocks, "dropout_rate": 0.1, "positional_dropout_rate": 0.1, "attention_dropout_rate": 0.1,
            "input_layer": "conv2d", "layer_drop_rate": 0.0, "linear_units": 1024,
            "positionwise_layer_type": "linear", "use_ffn": True, "macaron_ffn": True, "merge_conv_kernel": 31,
        })
    return section("encoder", "conformer", {
        "output_size": 256, "attention_heads": 4, "linear_units": 1024, "num_blocks": blocks, "dropout_rate": 0.1,
        "positional_dropout_rate": 0.1, "attention_dropout_rate": 0.1, "input_layer": "conv2d",
        "normalize_before": True, "macaron_style": True, "rel_pos_type": "latest", "pos_enc_layer_type": "rel_pos",
        "selfattention_layer_type": "rel_selfattn", "activation_type": "swish", "use_cnn_module": True,
        "cnn_module_kernel": 31,
    })


def model(system: dict, split: dict) -> str:
    """`model` and `model_conf`: the CTC weight, the hybrid's attention loss, the KD terms, SKD's schedule."""
    name = "self_kd" if system.get("skd") else "kd_student" if system.get("kd_terms") else "espnet"
    text = f"model: {name}\nmodel_conf:\n"
    if system.get("hybrid"):
        text += "    ctc_weight: 0.3\n    lsm_weight: 0.1\n    length_normalized_loss: false\n"
    else:
        text += "    ctc_weight: 1.0\n"
    if system.get("skd"):
        text += f"    skd_layer: {system['blocks'] // 2}\n"
    if system.get("kd_terms"):
        text += "    kd_terms:\n"
        for term, options in system["kd_terms"].items():
            options = {key: int(value.format(**split)) if isinstance(value, str) and "{" in value else value
                       for key, value in options.items()}
            text += f"        {term}: {scalar(options)}\n"
    if system.get("skd"):
        text += (f"    alpha_start: 0.3\n    alpha_end: 0.7\n    alpha_ramp_start: {split['skd_ramp_start']}\n"
                 f"    alpha_ramp_end: {split['skd_ramp_end']}\n")
    return text


def render(corpus: dict, system: dict) -> str:
    """One config file's text."""
    split = epoch_split(corpus["max_epoch"])
    text = header(system["header"], {**corpus, **split})
    text += model(system, split)
    text += section("frontend", "default", corpus["frontend_conf"])
    text += "normalize: global_mvn\n"
    text += section("specaug", "specaug", {})
    if system.get("teacher"):
        text += "    apply_time_warp: true\n    time_warp_window: 5\n    time_warp_mode: bicubic\n"
    else:
        text += STUDENT_NO_TIME_WARP + "    apply_time_warp: false\n"
    text += "".join(f"    {key}: {scalar(value)}\n" for key, value in {
        "apply_freq_mask": True, "freq_mask_width_range": [0, 27], "num_freq_mask": 2, "apply_time_mask": True,
        "time_mask_width_ratio_range": [0.0, 0.05], "num_time_mask": corpus["num_time_mask"]}.items())
    text += encoder(system)
    if system.get("hybrid"):
        text += section("decoder", "transformer", {
            "attention_heads": 4, "linear_units": system["decoder_units"], "num_blocks": system["decoder_blocks"],
            "dropout_rate": 0.1, "positional_dropout_rate": 0.1, "self_attention_dropout_rate": 0.1,
            "src_attention_dropout_rate": 0.1})
    text += section("optim", "adam", {"lr": corpus["lr"], "weight_decay": 0.000001})
    text += section("scheduler", "warmuplr", {"warmup_steps": corpus["warmup_steps"]})
    epochs = split[system["epochs"]] if "epochs" in system else corpus["max_epoch"]
    if system.get("hybrid"):
        criterion = ["acc", "max"]
    else:
        criterion = [corpus["criterion"] + ("_sub" if system.get("skd") else ""), "min"]
    text += (f"batch_type: numel\nbatch_bins: {corpus['batch_bins']}\naccum_grad: {corpus['accum_grad']}\n"
             f"max_epoch: {epochs}\npatience: null\nbest_model_criterion:\n-   - valid\n"
             f"    - {criterion[0]}\n    - {criterion[1]}\n")
    text += ("keep_nbest_models: 10\nnum_att_plot: 0\nnum_workers: 4\nlog_interval: 200\ngrad_clip: 5.0\n"
             "seed: 0\n")
    return text


def configs() -> dict:
    """Every generated file's path and text."""
    return {EGS2 / corpus_dir / "asr1" / "conf" / f"train_{system_name}.yaml": render(corpus, system)
            for corpus_dir, corpus in CORPORA.items() for system_name, system in SYSTEMS.items()}


def write(path: Path, text: str) -> None:
    """Writes under a temporary name and renames, so a config is never half written."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 listing the files that differ from the table")
    args = parser.parse_args(argv)
    wanted = configs()
    differing = [path for path, text in wanted.items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in differing:
            print(f"{path.relative_to(EGS2.parent)} differs from egs2/TEMPLATE/asr1/config_table.py: run "
                  f"python egs2/TEMPLATE/asr1/make_configs.py (and edit the table, not the file)", file=sys.stderr)
        return 1 if differing else 0
    for path in differing:
        write(path, wanted[path])
        print(f"wrote {path.relative_to(EGS2.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
