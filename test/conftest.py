"""Fixtures shared by every test: where the offline corpora live, and quiet, deterministic torch."""
from pathlib import Path

import pytest

from ctc_kd.espnet_import import import_espnet_quietly

import_espnet_quietly()  # once for the whole session, without ESPnet's offline NLTK download attempt

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The offline corpora beside the checkout; their absence is a broken test set-up, never a skip."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: the tests need ../shared/data beside the checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
