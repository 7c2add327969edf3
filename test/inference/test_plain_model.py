"""An export made elsewhere finds its side files beside it; a folder that is not an export is named."""
import pytest
import yaml

from ctc_kd.inference.plain_model import plain_model_files


def test_side_files_not_found_from_here_are_taken_from_beside_the_export(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "feats_stats.npz").write_bytes(b"stats")
    config = {"normalize_conf": {"stats_file": "exp/asr_stats_char/train/feats_stats.npz"}, "bpemodel": None}
    (export / "config.yaml").write_text(yaml.safe_dump(config))
    (export / "model.pth").write_bytes(b"")
    (tmp_path / "tmp").mkdir()
    config_path, model_path = plain_model_files(tmp_path / "tmp", model_dir=str(export))
    assert model_path == export / "model.pth" and config_path == tmp_path / "tmp" / "config.yaml"
    fixed = yaml.safe_load(config_path.read_text())
    assert fixed["normalize_conf"]["stats_file"] == str((export / "feats_stats.npz").resolve())

    (export / "feats_stats.npz").unlink()
    with pytest.raises(FileNotFoundError, match="stats_file exp/asr_stats_char/train/feats_stats.npz is neither"):
        plain_model_files(tmp_path / "tmp", model_dir=str(export))
    (export / "model.pth").unlink()
    with pytest.raises(FileNotFoundError, match="model.pth does not exist: --model_dir must be an export"):
        plain_model_files(tmp_path / "tmp", model_dir=str(export))
