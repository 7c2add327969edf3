"""Run a recipe's run.sh in a throw-away copy of its folder, so tests never touch the checkout's data/dump/exp."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUTPUTS = {"data", "dump", "exp", "log", "downloads", "RESULTS.md", "plots"}


def make_sandbox(recipe: str, where: Path) -> Path:
    """where/<recipe>/asr1 holding links to every file of egs2/<recipe>/asr1 except its outputs."""
    source = REPO / "egs2" / recipe / "asr1"
    sandbox = where / recipe / "asr1"
    sandbox.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name not in OUTPUTS:
            (sandbox / entry.name).symlink_to(entry.resolve() if entry.is_symlink() else entry)
    return sandbox


def run_recipe(sandbox: Path, *args: str, env=None, check=True, timeout=1800) -> subprocess.CompletedProcess:
    environment = dict(os.environ, **(env or {}))
    result = subprocess.run(["./run.sh", *args], cwd=sandbox, env=environment, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"run.sh {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.fixture
def sandbox_factory(tmp_path):
    return lambda recipe: make_sandbox(recipe, tmp_path)
