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


def test_shards_merge_into_the_statistics_of_one_job(corpora, tmp_path, caplog):
    """Three shards of five training and two valid utterances (shard 3 has no valid utterance: it does nothing) merge
    into the shape files of one job, and the same sums up to float32 rounding (ESPnet adds the features up in float32:
    another split adds them in another order); merging before a shard ends names its log, and a re-run skips the
    shards already done."""
    import logging

    import numpy as np
    import pytest

    from ctc_kd.bin.collect_stats import main

    waves = sorted((corpora / "yesno" / "waves_yesno").glob("*.wav"))[:7]
    for name, part in (("train", waves[:5]), ("dev", waves[5:])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "wav.scp").write_text("".join(f"{w.stem} {w}\n" for w in part))
        (tmp_path / name / "text").write_text("".join(
            f"{w.stem} {' '.join('YES' if c == '1' else 'NO' for c in w.stem.split('_'))}\n" for w in part))
    (tmp_path / "tokens.txt").write_text("<blank>\n<unk>\n<space>\nE\nN\nO\nS\nY\n<sos/eos>\n")
    (tmp_path / "train.yaml").write_text(yaml.safe_dump({"frontend": "default", "frontend_conf": {
        "n_fft": 256, "hop_length": 80, "n_mels": 20, "fs": 8000}}))
    common = ["--config", str(tmp_path / "train.yaml"), "--train_dir", str(tmp_path / "train"), "--valid_dir",
              str(tmp_path / "dev"), "--token_type", "char", "--token_list", str(tmp_path / "tokens.txt")]
    assert main(common + ["--output_dir", str(tmp_path / "one"), "--shard", "1", "--num_shards", "1"]) == 0
    assert main(common + ["--output_dir", str(tmp_path / "one"), "--merge_shards", "1"]) == 0
    sharded = common + ["--output_dir", str(tmp_path / "three")]
    for shard in ("1", "3"):
        assert main(sharded + ["--shard", shard, "--num_shards", "3"]) == 0
    with pytest.raises(SystemExit, match=r"shard 2 \(no .*/three/split3/2/shard.json; see log/stats.2.log\)"):
        main(sharded + ["--merge_shards", "3", "--shard_log", "log/stats.JOB.log"])
    assert main(sharded + ["--shard", "2", "--num_shards", "3"]) == 0
    with caplog.at_level(logging.INFO):
        assert main(sharded + ["--shard", "2", "--num_shards", "3"]) == 0 and "split3/2: done" in caplog.text
    assert main(sharded + ["--merge_shards", "3"]) == 0
    for part in ("train", "valid"):
        for name in ("speech_shape", "text_shape", "text_shape.char"):
            assert (tmp_path / "three" / part / name).read_text() == (tmp_path / "one" / part / name).read_text()
        one, three = (np.load(tmp_path / d / part / "feats_stats.npz") for d in ("one", "three"))
        assert one["count"] == three["count"] > 0
        for key in ("sum", "sum_square"):
            np.testing.assert_allclose(three[key], one[key], rtol=1e-3)
    assert not list((tmp_path / "three").glob(".aggregate.*"))
