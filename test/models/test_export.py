"""Exported students are plain ESPnet models that stock Speech2Text loads and that decode like the student."""
import numpy as np
import pytest
import torch
import yaml
from conftest import build, kd_config, speech_batch, tiny_config
from tiny_models import FRONTEND_CONF
from test_kd_student import ALL_TERMS
from test_self_kd_model import SKD_CONF

from ctc_kd.models.export import export_plain
from ctc_kd.bin.pack_model import pack_plain


def save_training(model, args, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.yaml").write_text(yaml.safe_dump(args))
    torch.save(model.state_dict(), out_dir / "valid.cer_ctc.best.pth")
    return out_dir / "config.yaml", out_dir / "valid.cer_ctc.best.pth"


def stock_speech2text(config_path, model_path):
    from espnet2.bin.asr_inference import Speech2Text

    return Speech2Text(asr_train_config=str(config_path), asr_model_file=str(model_path), device="cpu",
                       beam_size=1, ctc_weight=1.0, lm_weight=0.0, nbest=1)


def test_kd_student_exports_without_teacher_or_projections(saved_teacher, tmp_path):
    model, args = build(kd_config(saved_teacher, kd_terms=ALL_TERMS), tmp_path)
    config_path, model_path = save_training(model, args, tmp_path / "exp")
    out_config, out_model = export_plain(config_path, model_path, tmp_path / "export")
    exported = yaml.safe_load(out_config.read_text())
    assert exported["model"] == "espnet"
    assert not any(k.startswith(("teacher", "kd_")) for k in exported["model_conf"])
    state = torch.load(out_model)
    assert not any(k.startswith("kd_projections") for k in state)
    speech2text = stock_speech2text(out_config, out_model)
    plain = speech2text.asr_model
    model.eval()
    speech = speech_batch()["speech"][:1]
    with torch.no_grad():
        ours, _ = model.encode(speech, torch.tensor([speech.shape[1]]))
        theirs, _ = plain.encode(speech, torch.tensor([speech.shape[1]]))
    torch.testing.assert_close(ours, theirs)
    assert torch.equal(plain.ctc.argmax(theirs), model.ctc.argmax(ours))
    text, tokens, token_ids, _ = speech2text(speech[0].numpy())[0]
    assert isinstance(text, str) and all(0 < i < len(plain.token_list) for i in token_ids)


def test_skd_exports_the_l_block_submodel_exactly(tmp_path):
    torch.manual_seed(0)
    model, args = build(tiny_config("self_kd", width=16, blocks=3, model_conf=dict(SKD_CONF)), tmp_path)
    config_path, model_path = save_training(model, args, tmp_path / "exp")
    out_config, out_model = export_plain(config_path, model_path, tmp_path / "export")
    exported = yaml.safe_load(out_config.read_text())
    assert exported["encoder_conf"]["num_blocks"] == 1
    plain = stock_speech2text(out_config, out_model).asr_model
    assert len(plain.encoder.encoders) == 1
    model.eval()
    batch = speech_batch()
    with torch.no_grad():
        model.taps.clear()
        full_out, lengths = model.encode(batch["speech"], batch["speech_lengths"])
        sub_logits = model.sub_ctc.ctc_lo(model.sub_encoder_output(full_out))
        plain_out, plain_lengths = plain.encode(batch["speech"], batch["speech_lengths"])
    assert torch.equal(lengths, plain_lengths)
    torch.testing.assert_close(plain.ctc.ctc_lo(plain_out), sub_logits)
    full_params = sum(p.numel() for p in model.encoder.parameters())
    sub_params = sum(p.numel() for p in plain.encoder.parameters())
    assert sub_params < 0.6 * full_params


def test_packed_zip_unpacks_with_stock_espnet(saved_teacher, tmp_path, monkeypatch):
    from espnet2.main_funcs.pack_funcs import unpack

    monkeypatch.chdir(tmp_path)
    model, args = build(kd_config(saved_teacher, kd_terms={"binary_kd": {}}), tmp_path)
    config_path, model_path = save_training(model, args, tmp_path / "exp")
    out_config, out_model = export_plain(config_path, model_path, "exp/export")
    zip_path = pack_plain(out_config, out_model, tmp_path / "packed" / "model.zip")
    unpacked = unpack(zip_path, tmp_path / "unpacked")
    speech2text = stock_speech2text(unpacked["asr_train_config"], unpacked["asr_model_file"])
    hyps = speech2text(np.random.default_rng(0).standard_normal(8000).astype("float32"))
    assert isinstance(hyps[0][0], str)


def test_export_refuses_an_unknown_model(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"model": "mystery", "token_list": ["a"]}))
    torch.save({}, tmp_path / "m.pth")
    with pytest.raises(ValueError, match="cannot export a 'mystery' model"):
        export_plain(tmp_path / "config.yaml", tmp_path / "m.pth", tmp_path / "out")


def test_a_moved_run_exports_with_the_stats_beside_its_config(tmp_path, monkeypatch):
    """A run moved since training (round 1's into exp/round1) names stats that are gone from the recipe folder:
    the copy beside its config.yaml is used, the same numbers; with none there either, both places are named."""
    stats = tmp_path / "feats_stats.npz"
    n_mels = FRONTEND_CONF["n_mels"]
    np.savez(stats, count=np.array(10), sum=np.arange(n_mels, dtype=float), sum_square=np.full(n_mels, 1e4))
    model, args = build(tiny_config(normalize="global_mvn", normalize_conf={"stats_file": str(stats)}), tmp_path)
    config_path, model_path = save_training(model, args, tmp_path / "exp" / "round1" / "teacher")
    recipe = tmp_path / "recipe"
    recipe.mkdir()
    monkeypatch.chdir(recipe)  # the config's stats path is not there
    (config_path.parent / "feats_stats.npz").write_bytes(open(stats, "rb").read())
    moved = yaml.safe_load(config_path.read_text())
    moved["normalize_conf"]["stats_file"] = "exp/asr_stats_char/train/feats_stats.npz"
    config_path.write_text(yaml.safe_dump(moved))
    out_config, _ = export_plain(config_path, model_path, tmp_path / "export")
    exported = yaml.safe_load(out_config.read_text())["normalize_conf"]["stats_file"]
    assert exported == str(tmp_path / "export" / "feats_stats.npz")
    assert np.load(exported)["sum"].tolist() == np.load(stats)["sum"].tolist()
    (config_path.parent / "feats_stats.npz").unlink()
    with pytest.raises(FileNotFoundError, match="normalize_conf.stats_file exp/asr_stats_char/train/feats_stats.npz "
                                                "is neither found from .* nor as .*round1/teacher/feats_stats.npz"):
        export_plain(config_path, model_path, tmp_path / "export2")
