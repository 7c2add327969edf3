"""The SKD model: the loss of docs/kd_methods.md, stop-gradient on the full model, the epoch schedule, exact export."""
import pytest
import torch
from conftest import build, speech_batch, tiny_config

from ctc_kd import losses
from ctc_kd.tasks.epoch_trainer import tell_epoch

SKD_CONF = {"ctc_weight": 1.0, "skd_layer": 1, "kd_terms": {"sfmx_kd": {"weight": 0.5}}, "alpha_start": 0.2,
            "alpha_end": 0.8, "alpha_ramp_start": 2, "alpha_ramp_end": 4}


def skd_model(tmp_path, **conf):
    torch.manual_seed(0)
    model, _ = build(tiny_config("self_kd", width=16, blocks=3, model_conf=dict(SKD_CONF, **conf)), tmp_path)
    return model


def test_loss_is_the_spec_combination(tmp_path):
    model = skd_model(tmp_path)
    model.eval()
    model.set_epoch(3)  # halfway up the ramp: alpha = 0.5
    batch = speech_batch()
    loss, stats, _ = model(**batch)
    assert stats["alpha"].item() == pytest.approx(0.5)
    expected = 0.5 * stats["loss_ctc"] + 0.5 * (stats["loss_ctc_sub"] + stats["loss_skd"])
    torch.testing.assert_close(loss.detach(), expected)
    with torch.no_grad():
        model.taps.clear()
        encoder_out, lengths = model.encode(batch["speech"], batch["speech_lengths"])
        sub = model.sub_encoder_output(encoder_out)
        kl = losses.skd_kl(model.sub_ctc.ctc_lo(sub), model.ctc.ctc_lo(encoder_out), lengths)
    frames_per_utterance = lengths.sum().item() / 3  # CTC's scale
    torch.testing.assert_close(stats["loss_skd"][0], 0.5 * frames_per_utterance * kl)
    torch.testing.assert_close(stats["loss_sfmx_kd"], stats["loss_skd"])
    assert stats["cer_ctc_sub"] is not None


def test_no_gradient_from_the_kl_reaches_the_full_head(tmp_path):
    model = skd_model(tmp_path, alpha_start=1.0, alpha_end=1.0)
    model.set_epoch(1)
    model.train()
    loss, stats, _ = model(**speech_batch())
    loss.backward()
    # alpha = 1: the full CTC has weight 0 and the KL sees a detached full head, so it gets no gradient at all
    assert model.ctc.ctc_lo.weight.grad is None or torch.count_nonzero(model.ctc.ctc_lo.weight.grad) == 0
    assert torch.count_nonzero(model.sub_ctc.ctc_lo.weight.grad) > 0
    blocks_after_l = model.encoder.encoders[1:]
    assert all(p.grad is None or torch.count_nonzero(p.grad) == 0 for p in blocks_after_l.parameters())


def test_the_epoch_comes_from_the_trainer(tmp_path):
    model = skd_model(tmp_path)
    with pytest.raises(RuntimeError, match="asr_kd_train"):
        model.alpha()
    wrapped = torch.nn.Module()
    wrapped.module = model  # as DistributedDataParallel holds it
    for epoch, alpha in [(1, 0.2), (2, 0.2), (3, 0.5), (4, 0.8), (9, 0.8)]:
        tell_epoch(wrapped, epoch)
        assert model.alpha() == pytest.approx(alpha)


def test_layer_must_be_inside_the_encoder(tmp_path):
    with pytest.raises(ValueError, match="skd_layer must be in \\[1, 2\\]"):
        skd_model(tmp_path, skd_layer=3)


def sub_and_full_logits(model, batch):
    with torch.no_grad():
        model.taps.clear()
        encoder_out, lengths = model.encode(batch["speech"], batch["speech_lengths"])
        return model.sub_ctc.ctc_lo(model.sub_encoder_output(encoder_out)), model.ctc.ctc_lo(encoder_out), lengths


@pytest.mark.parametrize("kd_scale, factor", [("utterance", 2.0), ("frame", 1.0)])
def test_repeating_every_frame_doubles_the_frame_term_on_ctc_scale_only(tmp_path, kd_scale, factor):
    model = skd_model(tmp_path, kd_scale=kd_scale)
    model.eval()
    model.set_epoch(1)
    sub, full, lengths = sub_and_full_logits(model, speech_batch())
    once, _ = model.frame_terms(sub, full, lengths)
    twice, _ = model.frame_terms(sub.repeat_interleave(2, dim=1), full.repeat_interleave(2, dim=1), 2 * lengths)
    assert once > 0
    torch.testing.assert_close(twice, factor * once)


def test_the_frame_term_is_chosen_from_the_registry(tmp_path):
    model = skd_model(tmp_path, kd_terms={"fkl": {"temperature": 2.0}, "binary_kd": {"weight": 0.3}}, kd_scale="frame")
    model.eval()
    model.set_epoch(1)
    batch = speech_batch()
    _, stats, _ = model(**batch)
    sub, full, lengths = sub_and_full_logits(model, batch)
    torch.testing.assert_close(stats["loss_fkl"][0], losses.fkl(sub, full, lengths, temperature=2.0))
    torch.testing.assert_close(stats["loss_binary_kd"][0], 0.3 * losses.binary_kd(sub, full, lengths))
    torch.testing.assert_close(stats["loss_skd"], stats["loss_fkl"] + stats["loss_binary_kd"])


def test_hidden_state_kd_is_refused_as_the_frame_term(tmp_path):
    with pytest.raises(ValueError, match="kd_terms.repr_kd: repr_kd cannot be SKD's frame term"):
        skd_model(tmp_path, kd_terms={"repr_kd": {}})


def test_round_one_skd_keys_still_build(tmp_path, caplog):
    conf = {k: v for k, v in SKD_CONF.items() if k != "kd_terms"}
    model, _ = build(tiny_config("self_kd", width=16, blocks=3, model_conf=dict(conf, skd_weight=0.5,
                                                                                skd_frames="nonblank")), tmp_path)
    assert "skd_frames -> kd_terms.sfmx_kd.frames" in caplog.text
    (term,) = model.kd_terms
    assert (term.name, term.weight, term.options["frames"]) == ("sfmx_kd", 0.5, "nonblank")
