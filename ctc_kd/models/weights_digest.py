"""A saved model's identity by its weights' values: the same weights saved again, or exported, digest alike."""
import hashlib


def weights_digest(model_file) -> str:
    """sha256 over a state dict's names, dtypes, shapes and values, whatever the bytes of the file around them."""
    import torch

    state = torch.load(model_file, map_location="cpu", weights_only=True)
    digest = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key]
        if not isinstance(tensor, torch.Tensor):
            digest.update(f"{key}={tensor!r};".encode("utf-8"))
            continue
        digest.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)};".encode("utf-8"))
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
