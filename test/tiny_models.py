"""Tiny ESPnet configs, built as ESPnet builds them, for tests that need a model but no training."""
from pathlib import Path

import torch
import yaml

TOKENS = ["<blank>", "<unk>", "<space>", "E", "N", "O", "S", "Y", "<sos/eos>"]
FRONTEND_CONF = {"fs": 16000, "n_fft": 256, "hop_length": 128, "n_mels": 20}


def encoder_conf(width: int, blocks: int, input_layer: str = "conv2d") -> dict:
    return {
        "output_size": width,
        "attention_heads": 2,
        "linear_units": 2 * width,
        "num_blocks": blocks,
        "input_layer": input_layer,
        "rel_pos_type": "latest",
        "pos_enc_layer_type": "rel_pos",
        "selfattention_layer_type": "rel_selfattn",
        "cnn_module_kernel": 3,
    }


def tiny_config(model: str = "espnet", width: int = 16, blocks: int = 2, **overrides) -> dict:
    config = {
        "model": model,
        "token_list": list(TOKENS),
        "token_type": "char",
        "input_size": None,
        "frontend": "default",
        "frontend_conf": dict(FRONTEND_CONF),
        "specaug": None,
        "normalize": "utterance_mvn",
        "encoder": "conformer",
        "encoder_conf": encoder_conf(width, blocks),
        "model_conf": {"ctc_weight": 1.0},
    }
    config.update(overrides)
    return config


def save_model(config: dict, out_dir: Path, seed: int = 0):
    """A random model written as ESPnet writes a trained one: out_dir/{config.yaml, model.pth}."""
    torch.manual_seed(seed)
    out_dir.mkdir(parents=True)
    model, args = build(config, out_dir, "in")
    config_path, model_path = out_dir / "config.yaml", out_dir / "model.pth"
    config_path.write_text(yaml.safe_dump(args))
    torch.save(model.state_dict(), model_path)
    return config_path, model_path


def build(config: dict, tmp_path: Path, name: str = "model", extra_args=()):
    """Build a model the way ESPnet does: through the task's parser (defaults filled in) and build_model."""
    from ctc_kd.tasks import ASRKDTask

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    args = ASRKDTask.get_parser().parse_args(["--config", str(path), *extra_args])
    return ASRKDTask.build_model(args), vars(args)


def kd_config(teacher, **model_conf) -> dict:
    config_path, model_path = teacher
    conf = {"ctc_weight": 1.0, "teacher_config": str(config_path), "teacher_model_file": str(model_path)}
    conf.update(model_conf)
    return tiny_config("kd_student", width=16, blocks=1, model_conf=conf)


def speech_batch(lengths=(16000, 11000, 7000), text_lengths=(5, 4, 2), seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    speech = torch.randn(len(lengths), max(lengths), generator=generator)
    for i, n in enumerate(lengths):
        speech[i, n:] = 0.0
    text = torch.full((len(lengths), max(text_lengths)), -1, dtype=torch.long)
    for i, n in enumerate(text_lengths):
        text[i, :n] = torch.randint(2, len(TOKENS) - 1, (n,), generator=generator)
    return {
        "speech": speech,
        "speech_lengths": torch.tensor(lengths),
        "text": text,
        "text_lengths": torch.tensor(text_lengths),
    }


def write_data_dir(out_dir: Path, lengths=(16000, 16000, 16000, 9000), seed: int = 0) -> Path:
    """A formatted data dir (wav.scp, text, utt2spk) of noise utterances of the given sample counts at 16 kHz."""
    import numpy as np
    import soundfile

    rng = np.random.default_rng(seed)
    (out_dir / "wav").mkdir(parents=True)
    scp, text, utt2spk = [], [], []
    for i, n in enumerate(lengths):
        key = f"utt{i:02d}"
        path = out_dir / "wav" / f"{key}.wav"
        soundfile.write(path, (rng.standard_normal(n) * 0.1).astype("float32"), 16000, subtype="FLOAT")
        scp.append(f"{key} {path}")
        text.append(f"{key} YES NO")
        utt2spk.append(f"{key} {key}")
    for name, lines in (("wav.scp", scp), ("text", text), ("utt2spk", utt2spk)):
        (out_dir / name).write_text("".join(f"{line}\n" for line in lines))
    return out_dir
