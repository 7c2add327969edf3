"""ESPnet ASR models that train students: distilled from a frozen teacher, or self-distilled."""
from ctc_kd.espnet_import import import_espnet_quietly

import_espnet_quietly()

from ctc_kd.models.kd_student import KDStudentModel  # noqa: E402
from ctc_kd.models.self_kd import SelfKDModel  # noqa: E402

MODELS = {"kd_student": KDStudentModel, "self_kd": SelfKDModel}

__all__ = ["KDStudentModel", "MODELS", "SelfKDModel"]
