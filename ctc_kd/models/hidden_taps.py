"""Capture the outputs of chosen encoder blocks with forward hooks, for any ESPnet encoder with `encoders`."""
from typing import Dict, Iterable

import torch

ENCODER_OUTPUT = -1  # layer index meaning "the encoder's final output" (after its last normalisation)


class BlockOutputTaps:
    """Keeps the latest output of each tapped block; block i (1-based) is `encoder.encoders[i - 1]`."""

    def __init__(self, encoder: torch.nn.Module, blocks: Iterable[int]):
        self.outputs: Dict[int, torch.Tensor] = {}
        self._handles = []
        wanted = sorted({b for b in blocks if b != ENCODER_OUTPUT})
        if not wanted:
            return
        layers = getattr(encoder, "encoders", None)
        if layers is None:
            raise ValueError(f"{type(encoder).__name__} has no 'encoders' block list: use layer -1 (encoder output)")
        for block in wanted:
            if not 1 <= block <= len(layers):
                raise ValueError(f"block {block} does not exist: {type(encoder).__name__} has {len(layers)} blocks")
            self._handles.append(layers[block - 1].register_forward_hook(self._keeper(block)))

    def _keeper(self, block: int):
        def keep(module, inputs, output):
            hidden = output[0] if isinstance(output, tuple) else output
            if isinstance(hidden, tuple):  # (x, positional embedding) in relative-position encoders
                hidden = hidden[0]
            self.outputs[block] = hidden

        return keep

    def take(self, block: int, encoder_out: torch.Tensor) -> torch.Tensor:
        """The tapped output of `block` from the last forward pass (the encoder output for -1)."""
        if block == ENCODER_OUTPUT:
            return encoder_out
        return self.outputs[block]

    def clear(self) -> None:
        self.outputs.clear()
