"""ESPnet's ASR task with ctc_kd's models registered and the epoch-aware trainer."""
from ctc_kd.models import MODELS
from ctc_kd.tasks.epoch_trainer import EpochAwareTrainer
from espnet2.tasks import asr as espnet_asr


def register_models() -> None:
    """Add our models to `--model` of espnet2's ASR task (idempotent)."""
    for name, model_class in MODELS.items():
        espnet_asr.model_choices.classes.setdefault(name, model_class)


register_models()


class ASRKDTask(espnet_asr.ASRTask):
    """Everything of `espnet2.tasks.asr.ASRTask` (options, data, DDP), plus `--model kd_student|self_kd`."""

    trainer = EpochAwareTrainer
