"""#Params counts trained weights only, not normalisation or batch-norm statistics nor the mel filterbank."""
import torch
from exp_trees import params_of, state_dict

from ctc_kd.models.param_count import count_parameters


def test_buffers_are_not_counted(tmp_path):
    torch.save(state_dict(8), tmp_path / "model.pth")
    assert count_parameters(tmp_path / "model.pth") == params_of(8) == 1086
