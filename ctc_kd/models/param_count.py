"""How many trained parameters a saved model has: its weights, not its statistics or fixed transforms."""

# Tensors of a state dict that are statistics or fixed transforms, not trained weights: feature normalisation stats,
# batch-norm running statistics and the fixed mel filterbank of the default frontend.
BUFFER_PREFIXES = ("normalize.",)
BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked", "logmel.melmat")


def is_trained_weight(key: str) -> bool:
    """Whether a state-dict entry is a trained parameter (not a statistic or a fixed transform)."""
    return not key.startswith(BUFFER_PREFIXES) and not key.endswith(BUFFER_SUFFIXES)


def count_parameters(model_file) -> int:
    """Number of trained parameters in a saved state dict (e.g. exp/<system>/export/model.pth)."""
    import torch

    state = torch.load(model_file, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{model_file}: not a state dict (a {type(state).__name__}); give an exported model.pth")
    return sum(t.numel() for k, t in state.items() if hasattr(t, "numel") and is_trained_weight(k))
