"""The software and hardware a table was made on, as RESULTS.md records them."""
import os
import platform
from importlib import metadata
from typing import List, Optional


def _version(package: str) -> Optional[str]:
    """An installed package's version, None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    """The CPU's model name as Linux tells it, else what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    """Software and hardware of this process: python, torch, espnet, CPU, GPUs, threads (no host name)."""
    import torch

    gpus: List[str] = []
    if torch.cuda.is_available():
        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "espnet": _version("espnet"),
        "ctc_kd": _version("ctc_kd"),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "torch_threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cuda": torch.version.cuda,
        "gpus": gpus,
    }
