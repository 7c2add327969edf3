"""The KD-term registry: parsing and checking kd_terms, epoch windows, round 1's keys, scale, labels."""
import logging

import pytest
import torch

from ctc_kd.models import kd_terms
from ctc_kd.models.kd_terms import (
    active_terms,
    kd_scale_factor,
    kd_terms_of,
    method_label,
    optimised_terms,
    parse_kd_terms,
    register_kd_term,
)


def test_defaults_fill_every_option_and_terms_come_in_registration_order():
    terms = parse_kd_terms({"fkl": {"start_epoch": 7}, "repr_kd": {"weight": 0.5}, "binary_kd": None})
    assert [t.name for t in terms] == ["binary_kd", "repr_kd", "fkl"]
    binary, hidden, fkl = terms
    assert (binary.weight, binary.start_epoch, binary.end_epoch, binary.options) == (1.0, 1, None, {"temperature": 1.0})
    assert hidden.weight == 0.5 and hidden.options == {"layer_pairs": [[-1, -1]], "nonblank_weight": 1.0,
                                                       "blank_weight": 1.0}
    assert fkl.start_epoch == 7 and fkl.options == {"temperature": 1.0, "variant": "A", "blank_weight": 1.0}
    assert parse_kd_terms({"fkl": {"weight": 0}}) == []  # weight 0: off


@pytest.mark.parametrize("mapping, message", [
    ({"fkll": {}}, "model_conf.kd_terms: unknown KD term 'fkll'; the registered terms are \\['sfmx_kd', "),
    ({"fkl": {"temprature": 2}}, "model_conf.kd_terms.fkl: unknown option\\(s\\) \\['temprature'\\]; fkl takes \\['end_epoch', "
                                 "'start_epoch', 'weight', 'blank_weight', 'temperature', 'variant'\\]"),
    ({"fkl": {"weight": -1}}, "kd_terms.fkl.weight must be a finite number >= 0"),
    ({"fkl": {"start_epoch": 0}}, "kd_terms.fkl.start_epoch must be an integer >= 1"),
    ({"fkl": {"start_epoch": 4, "end_epoch": 3}}, "kd_terms.fkl.end_epoch must be null .* >= start_epoch"),
    ({"fkl": {"variant": "C"}}, "kd_terms.fkl: variant='C' is not one of 'A', 'B'"),
    ({"fkl": {"variant": "B", "blank_weight": 2.0}}, "kd_terms.fkl: blank_weight only applies to variant A"),
    ({"sfmx_kd": {"frames": "blank"}}, "kd_terms.sfmx_kd: frames='blank' is not one of"),
    ({"binary_kd": {"temperature": 0}}, "kd_terms.binary_kd: "),
    ({"repr_kd": {"layer_pairs": [[1]]}}, "kd_terms.repr_kd: layer_pairs must be a list of"),
    (["fkl"], "model_conf.kd_terms must be a mapping"),
])
def test_bad_configs_name_the_key_and_what_is_allowed(mapping, message):
    with pytest.raises(ValueError, match=message):
        parse_kd_terms(mapping)


def test_windows_decide_the_active_terms():
    terms = parse_kd_terms({"binary_kd": {}, "repr_kd": {"start_epoch": 4}, "fkl": {"start_epoch": 7, "end_epoch": 8}})
    active = {epoch: [t.name for t in active_terms(terms, epoch)] for epoch in (1, 3, 4, 7, 8, 9)}
    assert active == {1: ["binary_kd"], 3: ["binary_kd"], 4: ["binary_kd", "repr_kd"],
                      7: ["binary_kd", "repr_kd", "fkl"], 8: ["binary_kd", "repr_kd", "fkl"],
                      9: ["binary_kd", "repr_kd"]}
    with pytest.raises(RuntimeError, match="\\['repr_kd', 'fkl'\\] have epoch windows"):
        active_terms(terms, None)
    unwindowed = parse_kd_terms({"binary_kd": {}, "fkl": {}})
    assert active_terms(unwindowed, None) == unwindowed
    assert kd_terms.teacher_layers(parse_kd_terms({"repr_kd": {"start_epoch": 9, "layer_pairs": [[2, 5], [1, -1]]},
                                                   "fkl": {}})) == [-1, 5]


def test_round_one_flat_keys_are_translated_with_a_warning_naming_the_new_keys(caplog):
    conf = {"ctc_weight": 1.0, "binary_kd_weight": 1.0, "fkl_weight": 0.5, "fkl_variant": "B", "sfmx_kd_weight": 0.0,
            "repr_layer_pairs": [[1, 1]]}
    with caplog.at_level(logging.WARNING):
        mapping, rest = kd_terms_of(conf, "kd_student")
    assert mapping == {"binary_kd": {"weight": 1.0}, "fkl": {"weight": 0.5, "variant": "B"}}
    assert rest == {"ctc_weight": 1.0, "kd_terms": mapping}
    assert "fkl_variant -> kd_terms.fkl.variant" in caplog.text and "binary_kd_weight -> kd_terms.binary_kd.weight" \
        in caplog.text
    skd, _ = kd_terms_of({"skd_frames": "nonblank"}, "self_kd")
    assert skd == {"sfmx_kd": {"weight": 1.0, "frames": "nonblank"}}  # round 1's skd_weight defaulted to 1
    assert kd_terms_of({}, "self_kd")[0] == {"sfmx_kd": {"weight": 1.0}}  # the SPEC's skd_kl
    assert kd_terms_of({}, "kd_student")[0] == {}
    with pytest.raises(ValueError, match="both kd_terms and the old flat keys \\['fkl_weight'\\]"):
        kd_terms_of({"fkl_weight": 1.0, "kd_terms": {"fkl": {}}}, "kd_student")


def test_the_scale_is_valid_frames_per_utterance_or_one():
    lengths = torch.tensor([40, 20, 30])
    assert kd_scale_factor("utterance", lengths).item() == pytest.approx(30.0)
    assert kd_scale_factor("frame", lengths).item() == 1.0
    with pytest.raises(ValueError, match="model_conf.kd_scale must be one of \\('utterance', 'frame'\\)"):
        kd_terms.check_scale("batch")


def test_optimised_value_is_weight_times_scale_times_term():
    terms = parse_kd_terms({"binary_kd": {"weight": 0.5}, "fkl": {"weight": 2.0}})
    student = torch.log_softmax(torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(0)), -1)
    teacher = torch.log_softmax(torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(1)), -1)
    lengths = torch.tensor([5, 3])
    inputs = kd_terms.term_inputs(student, teacher, lengths, cached=False, blank_id=0)
    total, stats = optimised_terms(terms, inputs, torch.tensor(4.0))
    from ctc_kd import losses

    binary = losses.binary_kd(student, teacher, lengths)
    fkl = losses.fkl(student, teacher, lengths)
    torch.testing.assert_close(stats["loss_binary_kd"], 0.5 * 4.0 * binary)
    torch.testing.assert_close(stats["loss_fkl"], 2.0 * 4.0 * fkl)
    torch.testing.assert_close(total, 2.0 * binary + 8.0 * fkl)


def test_labels_of_chains_progressive_fpkd_and_others():
    def label(**mapping):
        return method_label(parse_kd_terms(mapping))

    assert label(binary_kd={}) == "FPKD stage 1 (binary KD)"
    assert label(binary_kd={}, repr_kd={}, fkl={}) == "FPKD stage 3 (binary KD + factorized hidden KD + FKL)"
    assert label(binary_kd={}, repr_kd={"start_epoch": 4}, fkl={"start_epoch": 7}) == \
        "FPKD: binary KD → + factorized hidden KD (ep 4) → + FKL (ep 7)"
    assert label(sfmx_kd={"frames": "nonblank", "temperature": 2}) == "blank-eliminated KD (τ=2)"
    assert label(guide_ctc={"weight": 0.3}, fkl={"variant": "B"}) == "Guide-CTC ×0.3 + FKL (variant B)"
    assert label() == "KD student without KD terms (CTC only)"
    skd = kd_terms.frame_term_label
    assert skd(parse_kd_terms({"sfmx_kd": {}}, model="self_kd")) == ""
    assert skd(parse_kd_terms({"sfmx_kd": {"frames": "nonblank"}}, model="self_kd")) == ", blank-masked"
    assert skd(parse_kd_terms({"binary_kd": {}}, model="self_kd")) == ", binary KD"


def test_registration_refuses_a_taken_name_and_reserved_options():
    with pytest.raises(ValueError, match="KD term 'fkl' is already registered by ctc_kd.models.kd_terms"):
        register_kd_term("fkl", label="mine")(lambda inputs, options: torch.zeros(()))
    with pytest.raises(ValueError, match="options \\['weight'\\] are reserved"):
        register_kd_term("mine", label="mine", options={"weight": 2.0})
    with pytest.raises(ValueError, match="kd_term_plugins: cannot import 'no_such_plugin_module'"):
        kd_terms.import_plugins(["no_such_plugin_module"])


def test_skd_layer_is_the_configs_or_the_first_six_blocks():
    assert kd_terms.skd_layer(None) == 6
    assert kd_terms.skd_layer({"ctc_weight": 1.0}) == 6
    assert kd_terms.skd_layer({"skd_layer": "4"}) == 4


def test_projection_prefixes_are_the_students_state_dict_names():
    assert kd_terms.projection_prefix("repr_kd") == "kd_projections.repr_kd."
    assert kd_terms.TRAINING_ONLY_PREFIXES == ("kd_projections.", "repr_projections.")


def test_hidden_terms_default_to_the_encoder_outputs_each_their_own_list():
    first = kd_terms.parse_kd_terms({"repr_kd": {}})
    second = kd_terms.parse_kd_terms({"repr_kd": {}})
    assert first[0].options["layer_pairs"] == [[-1, -1]]
    first[0].options["layer_pairs"].append([3, 6])
    assert second[0].options["layer_pairs"] == [[-1, -1]]
