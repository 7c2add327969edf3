"""Tiny ESPnet configs and a saved random teacher, for model tests that need no training."""
from pathlib import Path

import pytest
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


def build(config: dict, tmp_path: Path, name: str = "model"):
    """Build a model the way ESPnet does: through the task's parser (defaults filled in) and build_model."""
    from ctc_kd.tasks import ASRKDTask

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    args = ASRKDTask.get_parser().parse_args(["--config", str(path)])
    return ASRKDTask.build_model(args), vars(args)


@pytest.fixture
def saved_teacher(tmp_path):
    """A random conformer teacher (width 24, 3 blocks) written as ESPnet writes a trained one."""
    torch.manual_seed(0)
    model, args = build(tiny_config(width=24, blocks=3), tmp_path, "teacher_in")
    config_path, model_path = tmp_path / "teacher" / "config.yaml", tmp_path / "teacher" / "model.pth"
    config_path.parent.mkdir()
    config_path.write_text(yaml.safe_dump(args))
    torch.save(model.state_dict(), model_path)
    return config_path, model_path


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
