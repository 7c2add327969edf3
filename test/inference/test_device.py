"""--ngpu without a GPU is an error that says what to pass, never a silent CPU run."""
import pytest
import torch

from ctc_kd.inference.device import inference_device


def test_cpu_and_threads():
    before = torch.get_num_threads()
    try:
        assert inference_device(0, 1) == "cpu" and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised when no GPU is visible")
def test_gpu_asked_without_one():
    with pytest.raises(ValueError, match="run with --ngpu 0"):
        inference_device(1, 0)
