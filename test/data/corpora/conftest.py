"""Fixtures for the corpus tests: running a recipe's local/data.sh in a scratch folder and reading data dirs."""
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from ctc_kd.data.validate import validate_data_dir


@pytest.fixture(scope="session")
def run_data_sh(repo_root: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run `bash egs2/<recipe>/asr1/local/data.sh ARGS` from `cwd` (which gets the recipe's db.sh), with the venv's
    python first on PATH and `env` on top of the environment; returns the finished process (never raises)."""

    def run(recipe: str, cwd: Path, *args: str, env: Dict[str, str] = None) -> subprocess.CompletedProcess:
        recipe_dir = repo_root / "egs2" / recipe / "asr1"
        cwd.mkdir(parents=True, exist_ok=True)
        shutil.copy(recipe_dir / "db.sh", cwd / "db.sh")
        full_env = dict(os.environ)
        full_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{full_env.get('PATH', '')}"
        full_env.update(env or {})
        return subprocess.run(["bash", str(recipe_dir / "local" / "data.sh"), *args], cwd=cwd, env=full_env,
                              capture_output=True, text=True, timeout=120)

    return run


def lines(path: Path) -> List[str]:
    """The lines of a text file, without newlines."""
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def read_datadir() -> Callable[[Path], Dict[str, List[str]]]:
    """Read a data dir after checking it is valid and each file is sorted by id in byte order; name -> lines."""

    def read(path: Path) -> Dict[str, List[str]]:
        validate_data_dir(path)
        out = {}
        for name in ("wav.scp", "text", "utt2spk", "spk2utt", "segments"):
            if (path / name).exists():
                out[name] = lines(path / name)
                keys = [line.split(" ", 1)[0] for line in out[name]]
                assert keys == sorted(keys) and len(set(keys)) == len(keys), f"{path / name} not sorted/unique"
        assert (path / ".done").exists()
        return out

    return read
