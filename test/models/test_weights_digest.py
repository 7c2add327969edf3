"""ctc_kd.models.weights_digest: a digest of the weights' values, not of the file that holds them."""
import torch

from ctc_kd.models.weights_digest import weights_digest


def test_the_digest_follows_the_weights_not_the_file(tmp_path):
    state = {"a.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b.bias": torch.zeros(3)}
    torch.save(state, tmp_path / "one.pth")
    torch.save(dict(reversed(list(state.items()))), tmp_path / "two.pth")  # other order, other bytes
    assert (tmp_path / "one.pth").read_bytes() != (tmp_path / "two.pth").read_bytes()
    assert weights_digest(tmp_path / "one.pth") == weights_digest(tmp_path / "two.pth")
    for changed in ({"a.weight": state["a.weight"] + 1e-6}, {"a.weight": state["a.weight"].reshape(3, 2)},
                    {"a.weight": state["a.weight"].double()}, {"c": torch.zeros(3)}):
        torch.save(dict(state, **changed), tmp_path / "other.pth")
        assert weights_digest(tmp_path / "other.pth") != weights_digest(tmp_path / "one.pth"), changed
