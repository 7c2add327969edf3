"""Fixtures shared by every test: the small corpora committed in corpora/, and quiet, deterministic torch."""
from pathlib import Path

import pytest

from ctc_kd.espnet_import import import_espnet_quietly

import_espnet_quietly()  # once for the whole session, without ESPnet's offline NLTK download attempt

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPORA = REPO_ROOT / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    """yesno, mini_an4 and a Cathy subset, committed with the code; missing is a broken checkout, never a skip."""
    if not (CORPORA / "cathy" / "cmuarctic.data").is_file():
        pytest.fail(f"{CORPORA} is incomplete: restore it from git (git checkout -- corpora)")
    return CORPORA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


# Recipe runs take minutes each and unit tests seconds: start the longest first, so that the test workers
# (make test runs two) finish together instead of one waiting on a recipe picked up last.
LONGEST_FIRST = ("test_offline_recipes.py", "test_corpus_recipes.py")  # longest first


def pytest_collection_modifyitems(items):
    def cost_rank(item):
        if item.path.name in LONGEST_FIRST:
            return LONGEST_FIRST.index(item.path.name)
        return len(LONGEST_FIRST) + (0 if item.get_closest_marker("slow") else 1)

    items.sort(key=cost_rank)
