"""ctc_kd.decoding.identity: the weights' digest is of the values, not of the file; a record is read only when whole."""
import json

import torch

from ctc_kd.decoding.identity import made_by, recorded, weights_digest


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


def test_the_record_is_read_from_a_finished_decoding_only(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "wav.scp").write_text("a /a.wav\n")
    record = made_by("0" * 64, data, {"decoder": "greedy", "beam_size": None, "batch_size": 16})
    assert set(record) == {"weights", "wav_scp", "search"} and "batch_size" not in record["search"]
    out = tmp_path / "out"
    out.mkdir()
    assert recorded(out) is None
    (out / "decode_info.json").write_text(json.dumps({"decoder": "greedy", "made_by": record}))
    assert recorded(out) is None  # no hypotheses: unfinished
    (out / "text").write_text("a YES\n")
    assert recorded(out) == record
    (out / "decode_info.json").write_text('{"decoder": "gre')  # cut short
    assert recorded(out) is None
    (out / "decode_info.json").write_text(json.dumps({"decoder": "greedy"}))  # before decodings recorded it
    assert recorded(out) is None
