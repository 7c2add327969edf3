"""ctc_kd.decoding.identity: what a decoding records as made_by, and reading it back from a finished decoding."""
import json

from ctc_kd.cache.meta import file_sha256
from ctc_kd.decoding.identity import decoded_by, made_by


def test_the_record_holds_what_changes_the_hypotheses(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "wav.scp").write_text("a /a.wav\n")
    greedy = made_by("0" * 64, data, {"decoder": "greedy", "beam_size": None, "batch_size": 16, "batch_bins": 0})
    assert greedy == {"weights": "0" * 64, "wav_scp": file_sha256(data / "wav.scp"),
                      "search": {"decoder": "greedy", "beam_size": None, "ctc_weight": None, "penalty": None,
                                 "maxlenratio": None}}
    rebatched = made_by("0" * 64, data, {"decoder": "greedy", "beam_size": None, "batch_size": 1, "batch_bins": 9})
    assert rebatched == greedy  # greedy decoding is padding-invariant: batching changes no hypothesis
    beam = {"decoder": "beam", "beam_size": 10, "ctc_weight": 1.0, "penalty": 0.0, "maxlenratio": 0.0}
    assert made_by("0" * 64, data, beam) != made_by("0" * 64, data, dict(beam, penalty=0.5))


def test_a_decoding_without_hypotheses_is_unfinished(tmp_path):
    record = {"weights": "0" * 64}
    (tmp_path / "decode_info.json").write_text(json.dumps({"made_by": record}))
    assert decoded_by(tmp_path) is None
    (tmp_path / "text").write_text("a YES\n")
    assert decoded_by(tmp_path) == record
