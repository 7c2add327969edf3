"""Layer pruning: exactly the first l blocks (and everything before and after them but the CTC head) are kept, and a
plain l-block model loaded from them computes what the trained model's first l blocks compute."""
import os

import pytest
import torch
from tiny_models import build, speech_batch, tiny_config

from ctc_kd.init.origin import pruned_path
from ctc_kd.init.prune import count_blocks, pruned_state_dict, write_pruned


@pytest.fixture
def teacher(tmp_path):
    torch.manual_seed(0)
    model, _ = build(tiny_config(width=24, blocks=3), tmp_path, "teacher")
    return model.eval()


def test_the_kept_keys_are_exactly_the_first_blocks_without_the_head(teacher):
    state = teacher.state_dict()
    kept = pruned_state_dict(state, 2)
    expected = {k for k in state if not k.startswith(("encoder.encoders.2.", "ctc."))}
    assert set(kept) == expected
    assert count_blocks(state) == 3 and count_blocks(kept) == 2
    assert "encoder.after_norm.weight" in kept and "encoder.embed.conv.0.weight" in kept
    assert not any(k.startswith("ctc.") for k in kept)
    assert all(kept[k] is state[k] for k in kept)  # the trained tensors themselves, not re-initialised ones


def test_an_l_block_model_from_them_is_the_first_l_blocks_with_a_new_head(teacher, tmp_path):
    torch.manual_seed(5)
    pruned, _ = build(tiny_config(width=24, blocks=2), tmp_path, "pruned")
    new_head = {k: v.clone() for k, v in pruned.state_dict().items() if k.startswith("ctc.")}
    state = pruned.state_dict()
    state.update(pruned_state_dict(teacher.state_dict(), 2))  # as ESPnet's init_param loads it
    pruned.load_state_dict(state)
    pruned.eval()
    assert all(torch.equal(pruned.state_dict()[k], v) for k, v in new_head.items())  # the head stayed new

    batch = speech_batch()
    with torch.no_grad():
        out, lengths = pruned.encode(batch["speech"], batch["speech_lengths"])
        logits = pruned.ctc.ctc_lo(out)
        teacher.encoder.encoders = teacher.encoder.encoders[:2]  # the trained model cut after block 2
        expected_out, expected_lengths = teacher.encode(batch["speech"], batch["speech_lengths"])
        expected = torch.nn.functional.linear(expected_out, new_head["ctc.ctc_lo.weight"],
                                              new_head["ctc.ctc_lo.bias"])
    assert torch.equal(lengths, expected_lengths)
    assert torch.equal(logits, expected)


@pytest.mark.parametrize("blocks", [0, 3, 4])
def test_keeping_all_blocks_or_none_is_refused(teacher, blocks):
    with pytest.raises(ValueError, match=r"cannot keep the first \d blocks of exp/t.pth, which has 3: a pruned model "
                                         r"keeps 1 to 2"):
        pruned_state_dict(teacher.state_dict(), blocks, source="exp/t.pth")


def test_a_state_without_blocks_is_refused():
    with pytest.raises(ValueError, match="has no encoder.encoders"):
        pruned_state_dict({"ctc.ctc_lo.weight": torch.zeros(2, 2)}, 1)


def test_written_beside_the_checkpoint_and_remade_when_the_checkpoint_is_newer(teacher, tmp_path):
    (tmp_path / "exp").mkdir()
    checkpoint = tmp_path / "exp" / "valid.cer_ctc.best.pth"
    torch.save(teacher.state_dict(), checkpoint)
    out = write_pruned(checkpoint, 1)
    assert out == pruned_path(checkpoint, 1) == tmp_path / "exp" / "valid.cer_ctc.best.first_1_blocks.pth"
    assert set(torch.load(out)) == set(pruned_state_dict(teacher.state_dict(), 1))
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == sorted([checkpoint.name, out.name])  # no temporary left behind

    changed = {k: v + 1 for k, v in teacher.state_dict().items()}
    torch.save(changed, checkpoint)
    os.utime(out, (1, 1))  # older than the checkpoint: the teacher was retrained since
    again = torch.load(write_pruned(checkpoint, 1))
    assert torch.equal(again["encoder.embed.conv.0.weight"], changed["encoder.embed.conv.0.weight"])
    with pytest.raises(FileNotFoundError, match="nowhere.pth does not exist: train the model to prune first"):
        write_pruned(tmp_path / "nowhere.pth", 1)
