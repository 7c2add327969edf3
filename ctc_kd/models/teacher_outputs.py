"""What the teacher contributes to one batch, whether computed online or read from a cache."""
from dataclasses import dataclass, field
from typing import Dict, Optional

import torch

from ctc_kd.losses.bucketed import TeacherBuckets


@dataclass
class TeacherOutputs:
    logits: Optional[torch.Tensor]  # (B, T, V) CTC logits (online), or None (cached)
    lengths: torch.Tensor  # (B,) valid frames
    hidden: Dict[int, torch.Tensor] = field(default_factory=dict)  # (B, T, D) per distilled teacher layer
    buckets: Optional[TeacherBuckets] = None  # the cached top-k + blank + rest posteriors (cached)

    def fitted_to(self, frames: int) -> "TeacherOutputs":
        """The cached outputs zero-padded or cut along time to the student's `frames` (padding beyond lengths)."""
        def fit(x: torch.Tensor) -> torch.Tensor:
            if x.shape[1] >= frames:
                return x[:, :frames]
            return torch.nn.functional.pad(x, (0, 0, 0, frames - x.shape[1]))

        buckets = TeacherBuckets(ids=fit(self.buckets.ids), log_probs=fit(self.buckets.log_probs))
        hidden = {layer: fit(h) for layer, h in self.hidden.items()}
        return TeacherOutputs(logits=None, lengths=self.lengths.clamp(max=frames), hidden=hidden, buckets=buckets)

    def argmax_is_blank(self, blank_id: int) -> torch.Tensor:
        """(B, T) bool: the teacher's most likely token is blank (ties count as blank, as torch.argmax gives)."""
        if self.buckets is None:
            return self.logits.argmax(-1) == blank_id
        return ~(self.buckets.log_probs[..., 1] > self.buckets.log_probs[..., 0])
