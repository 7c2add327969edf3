"""Fixtures of the model tests: a saved random teacher; the tiny configs come from test/tiny_models.py."""
import pytest

from tiny_models import TOKENS, build, kd_config, save_model, speech_batch, tiny_config  # noqa: F401 (re-exported)


@pytest.fixture
def saved_teacher(tmp_path):
    """A random conformer teacher (width 24, 3 blocks) written as ESPnet writes a trained one."""
    return save_model(tiny_config(width=24, blocks=3), tmp_path / "teacher")
