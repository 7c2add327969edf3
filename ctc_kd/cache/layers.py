"""The teacher layers the KD students distil hidden states from: what the teacher-output cache must hold."""
from ctc_kd.experiment.config_file import load_yaml


def cache_layers(configs) -> str:
    """The teacher layers the kd_student configs distil hidden states from, at any epoch (what stage 9 must cache)."""
    from ctc_kd.models import kd_terms

    layers = set()
    for config in configs:
        loaded = load_yaml(config)
        if loaded.get("model") == "kd_student":
            layers |= set(kd_terms.teacher_layers(kd_terms.config_terms(loaded, warn=False)))
    return " ".join(str(layer) for layer in sorted(layers))
