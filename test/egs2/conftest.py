"""Run a recipe's run.sh in a throw-away copy of its folder, so tests never touch the checkout's data/dump/exp."""
import os
import shutil
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


@pytest.fixture(scope="session")
def trained_yesno(tmp_path_factory):
    """A yesno sandbox with its teacher and the student alone trained (stages 1-10), made once for the whole run:
    the recipe tests that need a teacher start from a copy instead of training their own."""
    sandbox = make_sandbox("yesno", tmp_path_factory.mktemp("trained"))
    env = {"YESNO": str(REPO / "corpora" / "yesno")}
    run_recipe(sandbox, "--stop_stage", "10", "--student_configs", "conf/train_student_alone.yaml", env=env)
    return sandbox, env


@pytest.fixture
def trained_yesno_copy(trained_yesno, tmp_path):
    """A copy of the trained sandbox that a test may change (its dump/ lists audio in the original by full path)."""
    sandbox, env = trained_yesno
    copy = tmp_path / "yesno" / "asr1"
    shutil.copytree(sandbox, copy, symlinks=True)
    return copy, env
