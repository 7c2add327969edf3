"""The device and threads of every command that runs models (decode, alignment), checked the same way."""
import torch


def inference_device(ngpu: int, num_threads: int) -> str:
    """'cuda' or 'cpu' for --ngpu; --num_threads > 0 sets torch's CPU threads. A missing GPU is an error, not a
    silent CPU run."""
    if ngpu and not torch.cuda.is_available():
        raise ValueError("--ngpu 1 but torch sees no CUDA device; run with --ngpu 0")
    if num_threads > 0:
        torch.set_num_threads(num_threads)
    return "cuda" if ngpu else "cpu"
