"""ESPnet ASR models that train students: distilled from a frozen teacher, or self-distilled.

The models are imported on first use, so that `ctc_kd.models.kd_terms` (asked by the results table and the stage
script's helpers) does not import ESPnet.
"""
import importlib

_MODELS = {"KDStudentModel": "ctc_kd.models.kd_student", "SelfKDModel": "ctc_kd.models.self_kd"}

__all__ = ["KDStudentModel", "MODELS", "SelfKDModel"]


def __getattr__(name: str):
    if name in _MODELS:
        return getattr(importlib.import_module(_MODELS[name]), name)
    if name == "MODELS":
        return {"kd_student": __getattr__("KDStudentModel"), "self_kd": __getattr__("SelfKDModel")}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
