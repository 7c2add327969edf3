"""Where a child run starts: its --init_chain parent, the specs ESPnet's --init_param loads, and what does not fit."""
import pytest
import yaml
from exp_trees import make_exp

from ctc_kd.init.init_param import init_param, parent


def test_parent_of_a_chain():
    chain = "student_fpkd_stage2:student_fpkd_stage1 student_fpkd_stage3:student_fpkd_stage2"
    assert parent("student_fpkd_stage3", chain) == "student_fpkd_stage2"
    assert parent("student_alone", chain) == ""
    with pytest.raises(SystemExit, match="'student_fpkd_stage2' is not child:parent"):
        parent("x", "student_fpkd_stage2")


def test_init_param_leaves_out_projections_the_child_does_not_use(tmp_path):
    exp = make_exp(tmp_path, ["valid.cer_ctc.best.pth"])
    uses = tmp_path / "stage2.yaml"
    uses.write_text(yaml.safe_dump({"model": "kd_student", "model_conf": {"kd_terms": {"repr_kd": {"start_epoch": 3}}}}))
    drops = tmp_path / "stage3.yaml"
    drops.write_text(yaml.safe_dump({"model": "kd_student", "model_conf": {"kd_terms": {"fkl": {}}}}))
    round_one = tmp_path / "round1.yaml"
    round_one.write_text(yaml.safe_dump({"model": "kd_student", "model_conf": {"repr_kd_weight": 1.0}}))
    assert init_param(exp, uses) == [str(exp / "valid.cer_ctc.best.pth")]
    assert init_param(exp, round_one) == [str(exp / "valid.cer_ctc.best.pth")]
    assert init_param(exp, drops) == [f"{exp / 'valid.cer_ctc.best.pth'}:::kd_projections.,repr_projections."]


# ---- starting from a trained CTC model: SKD of the same architecture, the layer-pruned baseline -------------------
SKD_CONF = {"ctc_weight": 1.0, "skd_layer": 2, "alpha_ramp_start": 1, "alpha_ramp_end": 2}


@pytest.fixture
def trained(tmp_path):
    """A plain 3-block CTC model saved as ESPnet saves a trained one: exp/teacher/{config.yaml, valid.loss.best.pth}."""
    from tiny_models import save_model, tiny_config

    config, model = save_model(tiny_config(width=24, blocks=3), tmp_path / "exp" / "teacher", seed=3)
    model.rename(model.with_name("valid.loss.best.pth"))
    return config.parent


def child_config(tmp_path, model="self_kd", blocks=3, width=24, **model_conf):
    from tiny_models import tiny_config

    path = tmp_path / f"{model}_{blocks}x{width}.yaml"
    conf = dict(SKD_CONF, **model_conf) if model == "self_kd" else {"ctc_weight": 1.0}
    path.write_text(yaml.safe_dump(tiny_config(model, width=width, blocks=blocks, model_conf=conf)))
    return path


def started_model(tmp_path, config, specs):
    """The child built as ESPnet builds it (another seed), then given --init_param as ESPnet's trainer does."""
    import torch
    from espnet2.torch_utils.load_pretrained_model import load_pretrained_model
    from tiny_models import build

    torch.manual_seed(11)
    model, _ = build(yaml.safe_load(config.read_text()), tmp_path, "child")
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    for spec in specs:
        load_pretrained_model(spec, model, ignore_init_mismatch=False)
    return model.eval(), fresh


def teacher_model(trained, blocks=None):
    from ctc_kd.teacher import load_teacher

    model, _ = load_teacher(trained / "config.yaml", trained / "valid.loss.best.pth")
    if blocks is not None:
        model.encoder.encoders = model.encoder.encoders[:blocks]  # the trained model cut after block `blocks`
    return model


def logits(model, head, batch):
    import torch

    with torch.no_grad():
        out, _ = model.encode(batch["speech"], batch["speech_lengths"])
        return head(out)


def test_skd_from_a_trained_model_starts_at_its_logits_and_the_sub_model_at_the_pruned_ones(trained, tmp_path):
    import torch
    from tiny_models import speech_batch

    config = child_config(tmp_path)
    specs = init_param(trained, config)
    checkpoint = trained / "valid.loss.best.pth"
    assert specs == [f"{checkpoint}:::kd_projections.,repr_projections.", f"{checkpoint}:ctc:sub_ctc"]
    skd, _ = started_model(tmp_path, config, specs)
    batch = speech_batch()
    full = teacher_model(trained)
    assert torch.equal(logits(skd, skd.ctc.ctc_lo, batch), logits(full, full.ctc.ctc_lo, batch))

    with torch.no_grad():
        skd.taps.clear()
        out, _ = skd.encode(batch["speech"], batch["speech_lengths"])
        sub_logits = skd.sub_ctc.ctc_lo(skd.sub_encoder_output(out))
    first_two = teacher_model(trained, blocks=2)
    assert torch.equal(sub_logits, logits(first_two, first_two.ctc.ctc_lo, batch))  # the trained head on block 2


def test_skd_from_a_trained_model_with_a_new_sub_head(trained, tmp_path):
    import torch

    config = child_config(tmp_path)
    specs = init_param(trained, config, sub_head="new")
    assert specs == [f"{trained / 'valid.loss.best.pth'}:::kd_projections.,repr_projections."]
    skd, fresh = started_model(tmp_path, config, specs)
    state = skd.state_dict()
    assert all(torch.equal(state[k], fresh[k]) for k in fresh if k.startswith("sub_ctc."))
    assert not torch.equal(state["ctc.ctc_lo.weight"], fresh["ctc.ctc_lo.weight"])


def test_a_child_of_fewer_blocks_starts_from_the_first_blocks_with_a_new_head(trained, tmp_path):
    import torch
    from tiny_models import speech_batch

    config = child_config(tmp_path, model="espnet", blocks=2)
    specs = init_param(trained, config)
    assert specs == [str(trained / "valid.loss.best.first_2_blocks.pth")]
    pruned, fresh = started_model(tmp_path, config, specs)
    assert all(torch.equal(pruned.state_dict()[k], fresh[k]) for k in fresh if k.startswith("ctc."))
    first_two = teacher_model(trained, blocks=2)
    batch = speech_batch()
    assert torch.equal(logits(pruned, pruned.ctc.ctc_lo, batch), logits(first_two, pruned.ctc.ctc_lo, batch))


@pytest.mark.parametrize("model, blocks, width, message", [
    ("self_kd", 3, 16, "encoder_conf: .*'output_size': 24.* vs .*'output_size': 16"),
    ("self_kd", 4, 24, "encoder_conf: .*'num_blocks': 3.* vs .*'num_blocks': 4"),
    ("espnet", 3, 24, r"has as many blocks as .*config.yaml \(3\): a layer-pruned model keeps fewer"),
    ("espnet", 4, 24, "encoder_conf: .*'num_blocks': 3.* vs .*'num_blocks': 4"),
])
def test_a_child_that_does_not_fit_is_refused_naming_both_configs(trained, tmp_path, model, blocks, width, message):
    config = child_config(tmp_path, model=model, blocks=blocks, width=width)
    with pytest.raises(SystemExit, match=message) as error:
        init_param(trained, config)
    assert str(config) in str(error.value) and str(trained / "config.yaml") in str(error.value)


def test_another_token_list_or_missing_teacher_is_refused(trained, tmp_path):
    from tiny_models import TOKENS

    config = child_config(tmp_path)
    child = yaml.safe_load(config.read_text())
    del child["token_list"]  # as in a recipe config: the stage script passes --token_list
    config.write_text(yaml.safe_dump(child))
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("".join(f"{t}\n" for t in TOKENS[:-1] + ["X", TOKENS[-1]]))
    with pytest.raises(SystemExit, match=f"cannot start from the weights of {trained}: .* token_list: 9 tokens vs 10"):
        init_param(trained, config, token_list=tokens)
    with pytest.raises(SystemExit, match=f"ERROR: {tmp_path / 'nothing' / 'config.yaml'} does not exist"):
        init_param(tmp_path / "nothing", config)
    with pytest.raises(SystemExit, match="ERROR: token list .*missing.txt does not exist: run stage 5"):
        init_param(trained, config, token_list=tmp_path / "missing.txt")


def test_other_feature_statistics_are_refused(trained, tmp_path):
    config = trained / "config.yaml"
    parent = yaml.safe_load(config.read_text())
    ours, theirs = tmp_path / "ours.npz", tmp_path / "theirs.npz"
    ours.write_bytes(b"statistics of the teacher's training set")
    theirs.write_bytes(b"statistics of another training set")
    config.write_text(yaml.safe_dump(dict(parent, normalize_conf={"stats_file": str(ours)})))
    child = child_config(tmp_path)
    assert len(init_param(trained, child, stats_file=ours)) == 2
    with pytest.raises(SystemExit, match=f"normalize_conf.stats_file: {ours} vs {theirs} \\(other feature statistics\\)"):
        init_param(trained, child, stats_file=theirs)
