"""Fixtures of the cache tests: a saved random teacher and a small formatted data dir."""
import pytest

from tiny_models import save_model, tiny_config, write_data_dir


@pytest.fixture
def teacher(tmp_path):
    return save_model(tiny_config(width=24, blocks=3), tmp_path / "teacher")


@pytest.fixture
def data_dir(tmp_path):
    return write_data_dir(tmp_path / "data")
