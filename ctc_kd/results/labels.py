"""The Method column of the results table: what a system's training config says it is."""
import logging

from ctc_kd.init.origin import initialised_from, pruned_blocks
from ctc_kd.models import kd_terms

log = logging.getLogger(__name__)


def method_name(config: dict, system: str) -> str:
    """The Method column for a system's training config (the KD terms' labels come from their registry)."""
    model = config.get("model") or "espnet"
    origin = initialised_from(config)
    origin = "the teacher" if origin == "teacher" else origin
    if model == "espnet":
        if pruned_blocks(config):
            blocks = "block" if pruned_blocks(config) == 1 else f"{pruned_blocks(config)} blocks"
            return f"{origin}, layer-pruned to its first {blocks} (new CTC head, CTC fine-tuning)"
        return "teacher" if "teacher" in system.lower() else "student alone"
    if model not in ("self_kd", "kd_student"):
        return str(model)
    try:
        terms = kd_terms.config_terms(config, warn=False)
    except ValueError as error:
        log.warning("%s: %s", system, error)
        return f"{model} (KD terms unreadable: {error})"
    if model == "self_kd":
        layer = kd_terms.skd_layer(config.get("model_conf"))
        blocks = (config.get("encoder_conf") or {}).get("num_blocks", 6)
        start = f", from {origin}" if origin else ""
        return f"SKD (block {layer} of {blocks}{kd_terms.frame_term_label(terms)}{start})"
    return kd_terms.method_label(terms)
