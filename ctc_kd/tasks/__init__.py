"""Registration of ctc_kd's models into ESPnet's ASR task."""
from ctc_kd.tasks.asr_kd import ASRKDTask, register_models

__all__ = ["ASRKDTask", "register_models"]
