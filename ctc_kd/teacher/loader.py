"""Load a trained ESPnet ASR model as a frozen teacher, refusing anything that would fail later mid-epoch."""
import argparse
import logging
from pathlib import Path
from typing import Sequence

import torch
import yaml

PLAIN_MODELS = ("espnet", None)


class TeacherMismatchError(RuntimeError):
    """The teacher cannot teach this student; the message names the file and the fix."""


def read_config(config_file: Path) -> dict:
    if not config_file.is_file():
        raise TeacherMismatchError(
            f"teacher config {config_file} does not exist: set model_conf.teacher_config to the config.yaml "
            "written by the teacher's training (exp/<teacher>/config.yaml) or pass --teacher_model to run.sh"
        )
    with config_file.open(encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict) or "token_list" not in config:
        raise TeacherMismatchError(f"{config_file} is not an ESPnet ASR training config (no token_list)")
    return config


def read_state_dict(model_file: Path) -> dict:
    if not model_file.is_file():
        raise TeacherMismatchError(
            f"teacher checkpoint {model_file} does not exist: set model_conf.teacher_model_file to the teacher's "
            "selected weights, e.g. exp/<teacher>/valid.cer_ctc.best.pth"
        )
    state = torch.load(model_file, map_location="cpu", weights_only=False)
    if isinstance(state, dict) and "model" in state and "optimizers" in state:
        state = state["model"]  # a training checkpoint.pth: take its model weights
    if not isinstance(state, dict):
        raise TeacherMismatchError(f"{model_file} holds no state dict (found {type(state).__name__})")
    return state


def load_teacher(config_file, model_file):
    """Build the teacher from its training config and load its weights strictly, frozen and in eval mode.

    Returns the model and its training config (a dict).
    """
    from ctc_kd.espnet_import import import_espnet_quietly

    import_espnet_quietly()
    from espnet2.tasks.asr import ASRTask

    config_file, model_file = Path(config_file), Path(model_file)
    config = read_config(config_file)
    if config.get("model") not in PLAIN_MODELS:
        raise TeacherMismatchError(
            f"{config_file} describes a '{config['model']}' model; a teacher must be a plain ESPnet model "
            "(export a distilled model with python -m ctc_kd.bin.export_student first)"
        )
    stats_file = (config.get("normalize_conf") or {}).get("stats_file")
    if stats_file and not Path(stats_file).is_file():
        raise TeacherMismatchError(
            f"{config_file} needs its feature statistics {stats_file}, which do not exist from "
            f"{Path.cwd()}: run from the recipe folder the teacher was trained in, or fix normalize_conf.stats_file"
        )
    model = ASRTask.build_model(argparse.Namespace(**config))
    state = read_state_dict(model_file)
    missing, unexpected = _key_mismatch(model.state_dict().keys(), state.keys())
    if missing or unexpected:
        raise TeacherMismatchError(
            f"teacher checkpoint {model_file} does not match {config_file}: "
            f"{len(missing)} missing keys {missing[:5]}, {len(unexpected)} unexpected keys {unexpected[:5]}. "
            "Use the checkpoint written by the training that wrote this config."
        )
    shapes = [k for k, v in model.state_dict().items() if v.shape != state[k].shape]
    if shapes:
        raise TeacherMismatchError(f"teacher checkpoint {model_file} has other shapes than {config_file}: {shapes[:5]}")
    model.load_state_dict(state, strict=True)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    logging.info(f"loaded teacher {model_file} ({sum(p.numel() for p in model.parameters()):,} parameters)")
    return model, config


def _key_mismatch(expected: Sequence[str], found: Sequence[str]):
    expected, found = set(expected), set(found)
    return sorted(expected - found), sorted(found - expected)


@torch.no_grad()
def _output_frames(model, feats_dim: int, num_frames: int) -> int:
    """Frames the encoder emits for `num_frames` input frames: the subsampling, measured rather than parsed."""
    feats = torch.zeros(1, num_frames, feats_dim)
    lengths = torch.tensor([num_frames])
    was_training = model.training
    model.eval()
    try:
        _, out_lengths, _ = model.encoder(feats, lengths)
    finally:
        model.train(was_training)
    return int(out_lengths[0])


@torch.no_grad()
def _features(frontend, num_samples: int = 16000):
    generator = torch.Generator().manual_seed(0)
    speech = torch.randn(1, num_samples, generator=generator)
    feats, _ = frontend(speech, torch.tensor([num_samples]))
    return feats


def check_teacher_fits_student(teacher, student, teacher_config: str, input_size=None) -> None:
    """Token list, features and frame rate must agree, so every frame of one is the same frame of the other."""
    if list(teacher.token_list) != list(student.token_list):
        first = next(
            (i for i, (a, b) in enumerate(zip(teacher.token_list, student.token_list)) if a != b),
            min(len(teacher.token_list), len(student.token_list)),
        )
        raise TeacherMismatchError(
            f"the teacher's token list ({teacher_config}: {len(teacher.token_list)} tokens) differs from the "
            f"student's ({len(student.token_list)} tokens) first at id {first}: train the student with the "
            "teacher's token list (the recipe's token_list.txt)"
        )
    if (teacher.frontend is None) != (student.frontend is None):
        raise TeacherMismatchError(
            f"one of teacher ({teacher_config}) and student extracts features and the other takes them as input: "
            "use the same frontend settings for both"
        )
    if student.frontend is not None:
        student_feats, teacher_feats = _features(student.frontend.eval()), _features(teacher.frontend)
        student.frontend.train(student.training)
        if student_feats.shape != teacher_feats.shape or not torch.allclose(student_feats, teacher_feats, atol=1e-4):
            raise TeacherMismatchError(
                f"the teacher's features ({teacher_config}: shape {tuple(teacher_feats.shape)}) differ from the "
                f"student's ({tuple(student_feats.shape)}): the teacher reads the student's features, so use the "
                "teacher's frontend and frontend_conf (fs, n_fft, hop_length, n_mels) in the student config"
            )
        feats_dim = student_feats.shape[-1]
    else:
        feats_dim = input_size  # features come from the data loader, as wide as the config says
    if feats_dim is not None:
        for num_frames in (97, 400):
            t, s = _output_frames(teacher, feats_dim, num_frames), _output_frames(student, feats_dim, num_frames)
            if t != s:
                raise TeacherMismatchError(
                    f"frame rates differ: for {num_frames} input frames the teacher ({teacher_config}) emits {t} "
                    f"frames and the student {s}: use the same input_layer subsampling (e.g. conv2d = 4x) in both"
                )
