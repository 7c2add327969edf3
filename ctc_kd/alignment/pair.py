"""The two models of a spike-timing comparison, loaded as decoding loads an export, and checked to be comparable."""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ctc_kd.experiment.layout import CONFIG
from ctc_kd.inference.audio import model_sample_rate
from ctc_kd.inference.plain_model import plain_model_files


@dataclass
class Model:
    """One side of the comparison: its export dir, its config and a padding-invariant greedy CTC runner."""

    dir: Path
    config: dict
    decoder: object  # ctc_kd.inference.greedy.GreedyCTCDecoder

    @property
    def config_file(self) -> Path:
        """The export's config, named in errors."""
        return self.dir / CONFIG

    @property
    def volume(self) -> Optional[float]:
        """The level ESPnet's preprocessor normalises the model's input to (None: as recorded)."""
        return (self.config.get("preprocessor_conf") or {}).get("speech_volume_normalize")


def load_model(model_dir: str, tmp: Path, device: str) -> Model:
    """Load an export as decoding does (side files relocated, weights loaded strictly)."""
    from ctc_kd.inference.greedy import GreedyCTCDecoder, load_plain_model

    tmp.mkdir(parents=True)
    config_path, model_path = plain_model_files(tmp, model_dir=model_dir)
    model, config = load_plain_model(config_path, model_path, device)
    return Model(Path(model_dir), config, GreedyCTCDecoder(model, config, device))


def check_pair(teacher: Model, student: Model) -> None:
    """Same token list, sample rate and frame rate, or an error naming both config files and the fix."""
    names = f"teacher {teacher.config_file}, student {student.config_file}"
    t_tokens, s_tokens = list(teacher.config["token_list"]), list(student.config["token_list"])
    if t_tokens != s_tokens or teacher.decoder.blank != student.decoder.blank:
        first = next((i for i, (a, b) in enumerate(zip(t_tokens, s_tokens)) if a != b),
                     min(len(t_tokens), len(s_tokens)))
        raise ValueError(
            f"the token lists differ ({names}): {len(t_tokens)} vs {len(s_tokens)} tokens, first difference at id "
            f"{first}; spikes are compared token by token, so analyse a student trained with the teacher's token "
            "list (the recipe's data/token_list/.../tokens.txt)")
    t_fs, s_fs = model_sample_rate(teacher.config), model_sample_rate(student.config)
    if t_fs != s_fs:
        raise ValueError(f"the models expect different sample rates ({names}): {t_fs} vs {s_fs} Hz (frontend_conf.fs)"
                         "; compare models trained on the same audio")
    generator = np.random.default_rng(0)
    probes = [generator.standard_normal(int((t_fs or 16000) * s)).astype(np.float32) * 0.1 for s in (1.0, 2.37)]
    t_frames = [len(h.posteriors) for h in teacher.decoder.decode_batch(probes, posteriors=True)]
    s_frames = [len(h.posteriors) for h in student.decoder.decode_batch(probes, posteriors=True)]
    if t_frames != s_frames:
        def setting(model, section, key):
            return (model.config.get(section) or {}).get(key, "default")

        raise ValueError(
            f"the frame rates differ ({names}): for {[len(p) for p in probes]} samples the teacher gives {t_frames} "
            f"frames, the student {s_frames}; spike offsets need one frame rate: compare models with the same "
            f"frontend_conf.hop_length ({setting(teacher, 'frontend_conf', 'hop_length')} vs "
            f"{setting(student, 'frontend_conf', 'hop_length')}) and encoder_conf.input_layer subsampling "
            f"({setting(teacher, 'encoder_conf', 'input_layer')} vs {setting(student, 'encoder_conf', 'input_layer')})")
