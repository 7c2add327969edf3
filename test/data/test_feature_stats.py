"""Feature statistics read only the feature keys of a config, so ESPnet's dumped config.yaml (required:, version:)
of a teacher trained elsewhere works as well as a recipe's training config."""
import yaml

from ctc_kd.data.feature_stats import features_config


def test_a_dumped_config_keeps_only_what_decides_the_features(tmp_path):
    dumped = {"frontend": "default", "frontend_conf": {"n_fft": 512, "hop_length": 160, "n_mels": 20},
              "encoder": "conformer", "optim_conf": {"lr": 0.005}, "required": ["output_dir", "token_list"],
              "version": "202511", "token_list": ["<blank>", "a"], "use_preprocessor": True}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(dumped))
    path = features_config(tmp_path / "config.yaml", tmp_path / "stats")
    assert path == tmp_path / "stats" / "features_config.yaml"
    assert yaml.safe_load(path.read_text()) == {"frontend": "default", "use_preprocessor": True,
                                                "model_conf": {"ctc_weight": 1.0},
                                                "frontend_conf": {"n_fft": 512, "hop_length": 160, "n_mels": 20}}
