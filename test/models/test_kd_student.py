"""The KD student: frozen teacher outside the checkpoint, every term reported, clear start-up errors."""
import pytest
import torch
from conftest import build, kd_config, speech_batch, tiny_config

from ctc_kd import losses
from ctc_kd.teacher import TeacherMismatchError

ALL_TERMS = dict(
    sfmx_kd_weight=0.5,
    guide_ctc_weight=0.3,
    binary_kd_weight=0.2,
    repr_kd_weight=0.1,
    fkl_weight=0.4,
    repr_layer_pairs=[[-1, -1], [1, 2]],
)


def test_every_term_is_reported_and_finite(saved_teacher, tmp_path):
    model, _ = build(kd_config(saved_teacher, **ALL_TERMS), tmp_path)
    model.train()
    loss, stats, weight = model(**speech_batch())
    for name in ("loss_ctc", "loss_sfmx_kd", "loss_guide_ctc", "loss_binary_kd", "loss_repr_kd", "loss_fkl", "loss_kd"):
        assert torch.isfinite(stats[name]), name
    assert 0.0 <= stats["teacher_blank_ratio"] <= 1.0 and 0.0 <= stats["student_blank_ratio"] <= 1.0
    expected_kd = sum(ALL_TERMS[f"{t}_weight"] * stats[f"loss_{t}"] for t in ("sfmx_kd", "guide_ctc", "binary_kd", "repr_kd", "fkl"))
    torch.testing.assert_close(stats["loss_kd"], expected_kd)
    torch.testing.assert_close(loss.detach(), stats["loss_ctc"] + stats["loss_kd"])
    assert int(weight) == 3


def test_terms_match_the_functional_losses_on_the_teacher_outputs(saved_teacher, tmp_path):
    model, _ = build(kd_config(saved_teacher, sfmx_kd_weight=1.0, fkl_weight=1.0, fkl_temperature=2.0), tmp_path)
    model.eval()
    batch = speech_batch()
    _, stats, _ = model(**batch)
    with torch.no_grad():
        feats, feats_lengths = model._extract_feats(batch["speech"], batch["speech_lengths"])
        teacher = model.teacher_outputs(feats, feats_lengths)
        encoder_out, lengths = model.encode(batch["speech"], batch["speech_lengths"])
        student_logits = model.ctc.ctc_lo(encoder_out)
    torch.testing.assert_close(stats["loss_sfmx_kd"][0], losses.sfmx_kd(student_logits, teacher.logits, lengths))
    torch.testing.assert_close(stats["loss_fkl"][0], losses.fkl(student_logits, teacher.logits, lengths, temperature=2.0))


def test_teacher_is_frozen_bit_identical_and_not_in_the_checkpoint(saved_teacher, tmp_path):
    model, _ = build(kd_config(saved_teacher, **ALL_TERMS), tmp_path)
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    for step in range(2):
        model.train()  # ESPnet calls this every epoch; the teacher must stay in eval mode
        assert not model.teacher.training
        loss, _, _ = model(**speech_batch(seed=step))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert all(p.grad is None for p in model.teacher.parameters())
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert not any(k.startswith("teacher.") for k in model.state_dict())
    assert not any(p is q for p in model.parameters() for q in model.teacher.parameters())
    assert any(k.startswith("repr_projections.") for k in model.state_dict())


def test_teacher_reads_features_before_specaugment(saved_teacher, tmp_path):
    specaug = {"apply_time_warp": False, "apply_freq_mask": True, "freq_mask_width_range": [5, 10],
               "num_freq_mask": 2, "apply_time_mask": True, "time_mask_width_range": [5, 20], "num_time_mask": 2}
    config = kd_config(saved_teacher, sfmx_kd_weight=1.0)
    config.update(specaug="specaug", specaug_conf=specaug)
    model, _ = build(config, tmp_path)
    model.train()
    batch = speech_batch()
    seen = {}
    original = model.teacher_outputs
    model.teacher_outputs = lambda feats, lengths: seen.setdefault("out", original(feats, lengths))
    model(**batch)
    with torch.no_grad():
        feats, feats_lengths = model.frontend(batch["speech"], batch["speech_lengths"])
        clean = original(feats, feats_lengths)
    torch.testing.assert_close(seen["out"].logits, clean.logits)


def test_moves_with_the_student(saved_teacher, tmp_path):
    model, _ = build(kd_config(saved_teacher, binary_kd_weight=1.0), tmp_path)
    model.to(torch.float64)
    assert next(model.teacher.parameters()).dtype == torch.float64


def test_token_list_mismatch_is_refused_before_training(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, sfmx_kd_weight=1.0)
    config["token_list"] = config["token_list"][:-2] + ["Z", "<sos/eos>"]
    with pytest.raises(TeacherMismatchError, match="token list .* first at id 7"):
        build(config, tmp_path)


def test_frame_rate_mismatch_is_refused(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, sfmx_kd_weight=1.0)
    config["encoder_conf"]["input_layer"] = "conv2d6"
    with pytest.raises(TeacherMismatchError, match="frame rates differ"):
        build(config, tmp_path)


def test_feature_mismatch_is_refused(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, sfmx_kd_weight=1.0)
    config["frontend_conf"]["hop_length"] = 160
    with pytest.raises(TeacherMismatchError, match="features"):
        build(config, tmp_path)


def test_missing_teacher_files_name_the_file(saved_teacher, tmp_path):
    config_path, model_path = saved_teacher
    with pytest.raises(TeacherMismatchError, match="nowhere.pth does not exist"):
        build(kd_config((config_path, tmp_path / "nowhere.pth"), sfmx_kd_weight=1.0), tmp_path)
    with pytest.raises(TeacherMismatchError, match="nowhere.yaml does not exist"):
        build(kd_config((tmp_path / "nowhere.yaml", model_path), sfmx_kd_weight=1.0), tmp_path)
    with pytest.raises(ValueError, match="teacher_config"):
        build(tiny_config("kd_student", model_conf={"ctc_weight": 1.0, "sfmx_kd_weight": 1.0}), tmp_path)


def test_checkpoint_key_mismatch_is_refused(saved_teacher, tmp_path):
    config_path, model_path = saved_teacher
    state = torch.load(model_path)
    state["encoder.extra.weight"] = torch.zeros(1)
    del state["ctc.ctc_lo.bias"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(TeacherMismatchError, match="1 missing keys \\['ctc.ctc_lo.bias'\\], 1 unexpected"):
        build(kd_config((config_path, tmp_path / "broken.pth"), sfmx_kd_weight=1.0), tmp_path)


def test_cross_topology_teacher(saved_teacher, tmp_path):
    """A transformer student of another width learns from the conformer teacher, hidden states included."""
    config = kd_config(saved_teacher, fkl_weight=1.0, repr_kd_weight=1.0)
    config["encoder"] = "transformer"
    config["encoder_conf"] = {"output_size": 8, "attention_heads": 2, "linear_units": 16, "num_blocks": 1,
                              "input_layer": "conv2d"}
    model, _ = build(config, tmp_path)
    assert model.repr_projections[0].weight.shape == (24, 8)
    loss, stats, _ = model(**speech_batch())
    loss.backward()
    assert torch.isfinite(stats["loss_repr_kd"]) and model.repr_projections[0].weight.grad is not None


def test_e_branchformer_student(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, sfmx_kd_weight=1.0, repr_kd_weight=1.0, repr_layer_pairs=[[1, 3]])
    config["encoder"] = "e_branchformer"
    config["encoder_conf"] = {"output_size": 16, "attention_heads": 2, "linear_units": 32, "num_blocks": 1,
                              "cgmlp_linear_units": 32, "input_layer": "conv2d", "rel_pos_type": "latest",
                              "pos_enc_layer_type": "rel_pos", "attention_layer_type": "rel_selfattn"}
    model, _ = build(config, tmp_path)
    loss, stats, _ = model(**speech_batch())
    loss.backward()
    assert torch.isfinite(stats["loss_repr_kd"]) and model.repr_projections[0].weight.grad.abs().sum() > 0


def test_hybrid_ctc_attention_student(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, ctc_weight=0.3, binary_kd_weight=1.0)
    config.update(decoder="transformer", decoder_conf={"attention_heads": 2, "linear_units": 16, "num_blocks": 1})
    model, _ = build(config, tmp_path)
    loss, stats, _ = model(**speech_batch())
    expected = 0.3 * stats["loss_ctc"] + 0.7 * stats["loss_att"] + stats["loss_kd"]
    torch.testing.assert_close(loss.detach(), expected)
