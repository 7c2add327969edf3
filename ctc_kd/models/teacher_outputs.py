"""What the teacher contributes to one batch, whether computed online or read from a cache."""
from dataclasses import dataclass, field
from typing import List

import torch


@dataclass
class TeacherOutputs:
    logits: torch.Tensor  # (B, T, V) CTC logits, or log-probabilities
    lengths: torch.Tensor  # (B,) valid frames
    hidden: List[torch.Tensor] = field(default_factory=list)  # one (B, T, D) per distilled layer pair
