"""The KD student: frozen teacher outside the checkpoint, every term reported, clear start-up errors."""
import logging

import pytest
import torch
from conftest import build, kd_config, speech_batch, tiny_config

from ctc_kd import losses
from ctc_kd.models.teacher_outputs import TeacherOutputs
from ctc_kd.teacher import TeacherMismatchError

ALL_TERMS = {
    "sfmx_kd": {"weight": 0.5},
    "guide_ctc": {"weight": 0.3},
    "binary_kd": {"weight": 0.2},
    "repr_kd": {"weight": 0.1, "layer_pairs": [[-1, -1], [1, 2]]},
    "fkl": {"weight": 0.4},
}


def test_every_term_is_reported_as_optimised(saved_teacher, tmp_path):
    model, _ = build(kd_config(saved_teacher, kd_terms=ALL_TERMS), tmp_path)
    model.train()
    loss, stats, weight = model(**speech_batch())
    for name in ("loss_ctc", "loss_sfmx_kd", "loss_guide_ctc", "loss_binary_kd", "loss_repr_kd", "loss_fkl", "loss_kd"):
        assert torch.isfinite(stats[name]), name
    assert 0.0 <= stats["teacher_blank_ratio"] <= 1.0 and 0.0 <= stats["student_blank_ratio"] <= 1.0
    torch.testing.assert_close(stats["loss_kd"], sum(stats[f"loss_{t}"] for t in ALL_TERMS))
    torch.testing.assert_close(loss.detach() - stats["loss_ctc"], stats["loss_kd"])  # loss - loss_ctc: the KD share
    assert int(weight) == 3


@pytest.mark.parametrize("kd_scale", ["utterance", "frame"])
def test_terms_are_the_functional_losses_weighted_and_scaled(saved_teacher, tmp_path, kd_scale):
    terms = {"sfmx_kd": {"weight": 0.5}, "fkl": {"temperature": 2.0}}
    model, _ = build(kd_config(saved_teacher, kd_terms=terms, kd_scale=kd_scale), tmp_path)
    model.eval()
    batch = speech_batch()
    _, stats, _ = model(**batch)
    with torch.no_grad():
        feats, feats_lengths = model._extract_feats(batch["speech"], batch["speech_lengths"])
        teacher = model.teacher_outputs(feats, feats_lengths)
        encoder_out, lengths = model.encode(batch["speech"], batch["speech_lengths"])
        student_logits = model.ctc.ctc_lo(encoder_out)
    scale = lengths.sum().item() / 3 if kd_scale == "utterance" else 1.0  # valid frames per utterance
    assert scale > 1.0 or kd_scale == "frame"
    torch.testing.assert_close(stats["loss_sfmx_kd"][0], 0.5 * scale * losses.sfmx_kd(student_logits, teacher.logits,
                                                                                      lengths))
    torch.testing.assert_close(stats["loss_fkl"][0],
                               scale * losses.fkl(student_logits, teacher.logits, lengths, temperature=2.0))


def test_teacher_is_frozen_bit_identical_and_not_in_the_checkpoint(saved_teacher, tmp_path):
    model, _ = build(kd_config(saved_teacher, kd_terms=ALL_TERMS), tmp_path)
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
    assert any(k.startswith("kd_projections.repr_kd.") for k in model.state_dict())


def test_teacher_reads_features_before_specaugment(saved_teacher, tmp_path):
    specaug = {"apply_time_warp": False, "apply_freq_mask": True, "freq_mask_width_range": [5, 10],
               "num_freq_mask": 2, "apply_time_mask": True, "time_mask_width_range": [5, 20], "num_time_mask": 2}
    config = kd_config(saved_teacher, kd_terms={"sfmx_kd": {}})
    config.update(specaug="specaug", specaug_conf=specaug)
    model, _ = build(config, tmp_path)
    model.train()
    batch = speech_batch()
    seen = {}
    original = model.teacher_outputs
    model.teacher_outputs = lambda *args: seen.setdefault("out", original(*args))
    model(**batch)
    with torch.no_grad():
        feats, feats_lengths = model.frontend(batch["speech"], batch["speech_lengths"])
        clean = original(feats, feats_lengths)
    torch.testing.assert_close(seen["out"].logits, clean.logits)


def test_moves_with_the_student(saved_teacher, tmp_path):
    model, _ = build(kd_config(saved_teacher, kd_terms={"binary_kd": {}}), tmp_path)
    model.to(torch.float64)
    assert next(model.teacher.parameters()).dtype == torch.float64


def test_token_list_mismatch_is_refused_before_training(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, kd_terms={"sfmx_kd": {}})
    config["token_list"] = config["token_list"][:-2] + ["Z", "<sos/eos>"]
    with pytest.raises(TeacherMismatchError, match="token list .* first at id 7"):
        build(config, tmp_path)


def test_frame_rate_mismatch_is_refused(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, kd_terms={"sfmx_kd": {}})
    config["encoder_conf"]["input_layer"] = "conv2d6"
    with pytest.raises(TeacherMismatchError, match="frame rates differ"):
        build(config, tmp_path)


def test_feature_mismatch_is_refused(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, kd_terms={"sfmx_kd": {}})
    config["frontend_conf"]["hop_length"] = 160
    with pytest.raises(TeacherMismatchError, match="features"):
        build(config, tmp_path)


def test_missing_teacher_files_name_the_file(saved_teacher, tmp_path):
    config_path, model_path = saved_teacher
    with pytest.raises(TeacherMismatchError, match="nowhere.pth does not exist"):
        build(kd_config((config_path, tmp_path / "nowhere.pth"), kd_terms={"sfmx_kd": {}}), tmp_path)
    with pytest.raises(TeacherMismatchError, match="nowhere.yaml does not exist"):
        build(kd_config((tmp_path / "nowhere.yaml", model_path), kd_terms={"sfmx_kd": {}}), tmp_path)
    with pytest.raises(ValueError, match="teacher_config"):
        build(tiny_config("kd_student", model_conf={"ctc_weight": 1.0, "kd_terms": {"sfmx_kd": {}}}), tmp_path)


def test_checkpoint_key_mismatch_is_refused(saved_teacher, tmp_path):
    config_path, model_path = saved_teacher
    state = torch.load(model_path)
    state["encoder.extra.weight"] = torch.zeros(1)
    del state["ctc.ctc_lo.bias"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(TeacherMismatchError, match="1 missing keys \\['ctc.ctc_lo.bias'\\], 1 unexpected"):
        build(kd_config((config_path, tmp_path / "broken.pth"), kd_terms={"sfmx_kd": {}}), tmp_path)


def test_cross_topology_teacher(saved_teacher, tmp_path):
    """A transformer student of another width learns from the conformer teacher, hidden states included."""
    config = kd_config(saved_teacher, kd_terms={"fkl": {}, "repr_kd": {}})
    config["encoder"] = "transformer"
    config["encoder_conf"] = {"output_size": 8, "attention_heads": 2, "linear_units": 16, "num_blocks": 1,
                              "input_layer": "conv2d"}
    model, _ = build(config, tmp_path)
    assert model.kd_projections["repr_kd"][0].weight.shape == (24, 8)
    loss, stats, _ = model(**speech_batch())
    loss.backward()
    assert torch.isfinite(stats["loss_repr_kd"]) and model.kd_projections["repr_kd"][0].weight.grad is not None


def test_e_branchformer_student(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, kd_terms={"sfmx_kd": {}, "repr_kd": {"layer_pairs": [[1, 3]]}})
    config["encoder"] = "e_branchformer"
    config["encoder_conf"] = {"output_size": 16, "attention_heads": 2, "linear_units": 32, "num_blocks": 1,
                              "cgmlp_linear_units": 32, "input_layer": "conv2d", "rel_pos_type": "latest",
                              "pos_enc_layer_type": "rel_pos", "attention_layer_type": "rel_selfattn"}
    model, _ = build(config, tmp_path)
    loss, stats, _ = model(**speech_batch())
    loss.backward()
    assert torch.isfinite(stats["loss_repr_kd"]) and model.kd_projections["repr_kd"][0].weight.grad.abs().sum() > 0


def test_hybrid_ctc_attention_student(saved_teacher, tmp_path):
    config = kd_config(saved_teacher, ctc_weight=0.3, kd_terms={"binary_kd": {}})
    config.update(decoder="transformer", decoder_conf={"attention_heads": 2, "linear_units": 16, "num_blocks": 1})
    model, _ = build(config, tmp_path)
    loss, stats, _ = model(**speech_batch())
    expected = 0.3 * stats["loss_ctc"] + 0.7 * stats["loss_att"] + stats["loss_kd"]
    torch.testing.assert_close(loss.detach(), expected)


def repeated(x: torch.Tensor) -> torch.Tensor:
    """Every frame twice in a row: an utterance of L valid frames becomes 2L, padding stays at the end."""
    return x.repeat_interleave(2, dim=1)


@pytest.mark.parametrize("kd_scale, factor", [("utterance", 2.0), ("frame", 1.0)])
def test_repeating_every_frame_doubles_each_term_on_ctc_scale_only(saved_teacher, tmp_path, kd_scale, factor):
    terms = {name: {} for name in ("sfmx_kd", "guide_ctc", "binary_kd", "repr_kd", "fkl")}
    model, _ = build(kd_config(saved_teacher, kd_terms=terms, kd_scale=kd_scale), tmp_path)
    model.eval()
    batch = speech_batch()
    with torch.no_grad():
        feats, feats_lengths = model._extract_feats(batch["speech"], batch["speech_lengths"])
        teacher = model.teacher_outputs(feats, feats_lengths, [-1])
        encoder_out, lengths = model.encode(batch["speech"], batch["speech_lengths"])
        _, once = model.kd_loss(encoder_out, lengths, teacher)
        twice_teacher = TeacherOutputs(repeated(teacher.logits), 2 * lengths, {-1: repeated(teacher.hidden[-1])})
        _, twice = model.kd_loss(repeated(encoder_out), 2 * lengths, twice_teacher)
    for name in terms:
        assert once[f"loss_{name}"] > 0, name
        torch.testing.assert_close(twice[f"loss_{name}"], factor * once[f"loss_{name}"], msg=name)


def test_terms_enter_and_leave_at_their_epochs(saved_teacher, tmp_path, caplog):
    terms = {"binary_kd": {"start_epoch": 2}, "repr_kd": {"start_epoch": 3}, "fkl": {"start_epoch": 3, "end_epoch": 3}}
    model, _ = build(kd_config(saved_teacher, kd_terms=terms), tmp_path)
    batch = speech_batch()
    with pytest.raises(RuntimeError, match="set_epoch"):
        model(**batch)
    teacher_calls = []
    original = model.teacher_outputs
    model.teacher_outputs = lambda *args: teacher_calls.append(args) or original(*args)
    caplog.set_level(logging.INFO)
    seen = {}
    for epoch in (1, 2, 2, 3, 4):
        model.set_epoch(epoch)
        model.zero_grad()
        loss, stats, _ = model(**batch)
        loss.backward()
        seen[epoch] = sorted(k for k in stats if k.startswith("loss_") and k not in ("loss_ctc", "loss_kd"))
        if epoch == 1:  # nothing active: no teacher forward, CTC alone, the idle projections in the graph at 0
            assert not teacher_calls and "loss_kd" not in stats
            torch.testing.assert_close(loss.detach(), stats["loss_ctc"])
        projection_grads = [p.grad for p in model.kd_projections.parameters()]
        assert all(g is not None for g in projection_grads)
        assert any(torch.count_nonzero(g) for g in projection_grads) == (epoch == 3 or epoch == 4)
    assert len(teacher_calls) == 4
    assert seen == {1: [], 2: ["loss_binary_kd"], 3: ["loss_binary_kd", "loss_fkl", "loss_repr_kd"],
                    4: ["loss_binary_kd", "loss_repr_kd"]}
    announced = [r.getMessage() for r in caplog.records if "KD terms active" in r.getMessage()]
    assert announced == ["epoch 1: KD terms active: none",
                         "epoch 2: KD terms active: binary_kd (entered: binary_kd)",
                         "epoch 3: KD terms active: binary_kd, repr_kd, fkl (entered: repr_kd, fkl)",
                         "epoch 4: KD terms active: binary_kd, repr_kd (left: fkl)"]


def test_time_warp_with_frame_level_terms_is_warned(saved_teacher, tmp_path, caplog):
    for time_warp in (True, False):
        config = kd_config(saved_teacher, kd_terms={"fkl": {}})
        config.update(specaug="specaug", specaug_conf={"apply_time_warp": time_warp, "apply_freq_mask": True,
                                                       "apply_time_mask": False})
        caplog.clear()
        build(config, tmp_path)
        assert ("apply_time_warp: false" in caplog.text) == time_warp


def test_round_one_flat_keys_build_the_same_terms_with_a_warning(saved_teacher, tmp_path, caplog):
    flat, _ = build(kd_config(saved_teacher, fkl_weight=0.5, fkl_variant="B", binary_kd_weight=0.0), tmp_path)
    assert "fkl_weight -> kd_terms.fkl.weight" in caplog.text
    new, _ = build(kd_config(saved_teacher, kd_terms={"fkl": {"weight": 0.5, "variant": "B"}}), tmp_path)
    assert flat.kd_terms == new.kd_terms and [t.name for t in new.kd_terms] == ["fkl"]
    with pytest.raises(ValueError, match="both kd_terms and the old flat keys \\['fkl_weight'\\]"):
        build(kd_config(saved_teacher, fkl_weight=0.5, kd_terms={"fkl": {}}), tmp_path)
