"""Which config differences stop a model from starting from another's weights, and which do not."""
from tiny_models import TOKENS, tiny_config

from ctc_kd.init.architecture import architecture_mismatches, encoder_blocks, read_token_list


def test_the_same_architecture_fits_whatever_the_training_options():
    source = tiny_config(width=24, blocks=3, model_conf={"ctc_weight": 1.0}, max_epoch=30)
    target = tiny_config("self_kd", width=24, blocks=3, model_conf={"skd_layer": 1}, max_epoch=5)
    target["encoder_conf"]["dropout_rate"] = 0.3  # a training option, not a weight
    assert architecture_mismatches(source, target) == []


def test_each_difference_is_named_with_both_values():
    source = tiny_config(width=24, blocks=3)
    target = tiny_config(width=16, blocks=3, normalize="global_mvn")
    target["frontend_conf"]["n_mels"] = 40
    found = architecture_mismatches(source, target)
    assert [f.split(":")[0] for f in found] == ["frontend_conf", "normalize", "encoder_conf"]
    assert "'n_mels': 20" in found[0] and "'n_mels': 40" in found[0]
    assert found[1] == "normalize: utterance_mvn vs global_mvn"


def test_an_option_left_out_equals_the_empty_one_espnet_writes():
    source = tiny_config(width=24, blocks=3, preencoder_conf={}, decoder=None, decoder_conf={})
    target = tiny_config(width=24, blocks=3)
    assert architecture_mismatches(source, target) == []


def test_pruning_allows_fewer_blocks_only():
    source = tiny_config(width=24, blocks=3)
    assert architecture_mismatches(source, tiny_config(width=24, blocks=2), fewer_blocks=True) == []
    assert architecture_mismatches(source, tiny_config(width=24, blocks=2)) == [
        "encoder_conf: " + str(source["encoder_conf"]) + " vs " + str(tiny_config(width=24, blocks=2)["encoder_conf"])]
    (found,) = architecture_mismatches(source, tiny_config(width=24, blocks=3), fewer_blocks=True)
    assert found.startswith("encoder_conf.num_blocks: 3 vs 3 (a pruned model keeps fewer blocks")
    assert encoder_blocks({"encoder_conf": {}}) == 6  # ESPnet's default


def test_the_token_list_from_the_file_when_the_config_has_none(tmp_path):
    source = tiny_config(width=24, blocks=3)
    target = tiny_config(width=24, blocks=3)
    del target["token_list"]
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("".join(f"{t}\n" for t in TOKENS))
    assert read_token_list(tokens) == TOKENS
    assert architecture_mismatches(source, target, target_tokens=read_token_list(tokens)) == []
    (found,) = architecture_mismatches(source, target, target_tokens=TOKENS[:-1])
    assert found.startswith("token_list: 9 tokens vs 8 tokens")
