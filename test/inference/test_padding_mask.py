"""Batched encoding under padding_invariant gives every utterance's valid frames exactly as encoding it alone."""

import numpy as np
import pytest
import soundfile
import tiny_models
import torch

from ctc_kd.inference.padding_mask import padding_invariant, padding_masked, per_utterance_frontend

# 0.76 s, 6.47 s, 3.3 s and 1.6 s: the shortest utterance is padded to 8.5 times its length
FILES = ("arctic_a0207_1592712443", "arctic_a0407_1592707592", "arctic_a0001_1592748574", "arctic_a0005_1592748459")
E_BRANCHFORMER = {"output_size": 16, "attention_heads": 2, "linear_units": 32, "num_blocks": 2, "input_layer": "conv2d",
                  "rel_pos_type": "latest", "pos_enc_layer_type": "rel_pos", "attention_layer_type": "rel_selfattn",
                  "cgmlp_linear_units": 32, "cgmlp_conv_kernel": 7, "merge_conv_kernel": 3}
BRANCHFORMER = {"output_size": 16, "attention_heads": 2, "num_blocks": 2, "input_layer": "conv2d",
                "rel_pos_type": "latest", "pos_enc_layer_type": "rel_pos", "attention_layer_type": "rel_selfattn",
                "cgmlp_linear_units": 32, "cgmlp_conv_kernel": 7, "merge_method": "learned_ave"}
TRANSFORMER = {"output_size": 16, "attention_heads": 2, "linear_units": 32, "num_blocks": 2, "input_layer": "conv2d"}
ENCODERS = {
    "conformer": {},
    "e_branchformer": {"encoder": "e_branchformer", "encoder_conf": E_BRANCHFORMER},
    "branchformer": {"encoder": "branchformer", "encoder_conf": BRANCHFORMER},
    "transformer": {"encoder": "transformer", "encoder_conf": TRANSFORMER},
}


@pytest.fixture(scope="module")
def batch(corpora):
    waves = [soundfile.read(corpora / "cathy" / f"{name}.flac")[0].astype(np.float32) for name in FILES]
    lengths = torch.tensor([len(w) for w in waves])
    speech = torch.zeros(len(waves), int(lengths.max()))
    for i, w in enumerate(waves):
        speech[i, : len(w)] = torch.from_numpy(w)
    return speech, lengths


def tiny_model(name, tmp_path, **config):
    torch.manual_seed(0)
    model, _ = tiny_models.build(tiny_models.tiny_config(**{**ENCODERS[name], **config}), tmp_path)
    return model.eval()


@torch.no_grad()
def alone(model, speech, lengths):
    """Stock ESPnet, one utterance at a time (what Speech2Text does): the reference."""
    return [model.encode(speech[i : i + 1, : lengths[i]], lengths[i : i + 1])[0][0] for i in range(len(lengths))]


@torch.no_grad()
def worst_difference(model, speech, lengths, reference):
    out, out_lengths = model.encode(speech, lengths)
    assert out_lengths.tolist() == [len(r) for r in reference]
    return max(float((out[i, : len(r)] - r).abs().max()) for i, r in enumerate(reference))


@pytest.mark.parametrize("name", ENCODERS)
def test_batched_equals_alone_under_the_fix(name, batch, tmp_path):
    model = tiny_model(name, tmp_path)
    speech, lengths = batch
    reference = alone(model, speech, lengths)
    with padding_invariant(model):
        assert worst_difference(model, speech, lengths, reference) < 1e-5


def test_stock_conformer_batching_leaks_and_each_fix_is_needed(batch, tmp_path):
    model = tiny_model("conformer", tmp_path, encoder_conf={**tiny_models.encoder_conf(16, 2), "cnn_module_kernel": 7})
    speech, lengths = batch
    reference = alone(model, speech, lengths)
    with torch.no_grad():
        out, out_lengths = model.encode(speech, lengths)
    # stock: the subsampling mask counts frames a lone utterance does not have (ESPnet's x_mask[:, :, :-2:2])
    extra = (out_lengths - torch.tensor([len(r) for r in reference])).tolist()
    assert extra[1] == 0 and all(e in (1, 2) for e in extra[:1] + extra[2:]), extra  # [1] is unpadded
    assert max(float((out[i, : len(r)] - r).abs().max()) for i, r in enumerate(reference)) > 1e-2
    with padding_masked(model.encoder):  # encoder fixed, frontend not: STFT frames near each end differ
        assert worst_difference(model, speech, lengths, reference) > 1e-3
    with per_utterance_frontend(model.frontend):  # frontend fixed, encoder not: lengths still wrong
        with pytest.raises(AssertionError):
            worst_difference(model, speech, lengths, reference)
    with padding_invariant(model):
        assert worst_difference(model, speech, lengths, reference) < 1e-5


@pytest.mark.parametrize("name,convs", [("conformer", ["conv_module.depthwise_conv"]),
                                        ("e_branchformer", ["cgmlp.csgu.conv", "depthwise_conv_fusion"])])
def test_every_temporal_conv_leaks_padding(name, convs, tmp_path):
    """Encoder alone on features whose padding is garbage: each temporal conv left unmasked changes valid frames."""
    from ctc_kd.inference import padding_mask

    model = tiny_model(name, tmp_path)
    encoder = model.encoder
    generator = torch.Generator().manual_seed(1)
    lengths = torch.tensor([300, 41, 150])
    feats = 10 * torch.randn(3, 300, 20, generator=generator)  # garbage beyond each length
    with torch.no_grad():
        reference = [encoder(feats[i : i + 1, :n], lengths[i : i + 1])[0][0] for i, n in enumerate(lengths)]

        def difference():
            out, out_lengths, _ = encoder(feats, lengths)
            assert out_lengths.tolist() == [len(r) for r in reference]
            return max(float((out[i, : len(r)] - r).abs().max()) for i, r in enumerate(reference))

        with padding_masked(encoder):
            assert difference() < 1e-5
        found = {n.split(".", 2)[2] for n, m in encoder.named_modules() if m in
                 {c for block in encoder.encoders for c in padding_mask.temporal_convs(block)}}
        assert found == set(convs)
        original = padding_mask.temporal_convs
        for conv in convs:
            padding_mask.temporal_convs = lambda block, conv=conv: [
                m for n, m in block.named_modules() if m in original(block) and n != conv]
            try:
                with padding_masked(encoder):
                    assert difference() > 1e-4, conv
            finally:
                padding_mask.temporal_convs = original


def test_context_restores_the_stock_model(batch, tmp_path):
    model = tiny_model("conformer", tmp_path)
    speech, lengths = batch
    with torch.no_grad():
        before, _ = model.encode(speech, lengths)
        with padding_invariant(model):
            assert "forward" in vars(model.frontend)
        after, _ = model.encode(speech, lengths)
    assert "forward" not in vars(model.frontend)
    assert torch.equal(before, after)
    assert not any(m._forward_pre_hooks or m._forward_hooks for m in model.modules())
    model.train()
    with pytest.raises(RuntimeError, match="eval"):
        with padding_masked(model.encoder):
            pass
