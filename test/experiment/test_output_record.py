"""ctc_kd.experiment.output_record: a record is read back only from a whole, finished output."""
import json

from ctc_kd.experiment.output_record import recorded


def test_the_record_is_read_from_a_finished_output_only(tmp_path):
    info, text = tmp_path / "decode_info.json", tmp_path / "text"
    record = {"weights": "0" * 64, "wav_scp": "1" * 64}
    assert recorded(info, text) is None
    info.write_text(json.dumps({"decoder": "greedy", "made_by": record}))
    assert recorded(info) == record
    assert recorded(info, text) is None  # an output written before it is missing: unfinished
    text.write_text("a YES\n")
    assert recorded(info, text) == record
    info.write_text('{"decoder": "gre')  # cut short
    assert recorded(info, text) is None
    info.write_text(json.dumps({"decoder": "greedy"}))  # before outputs recorded what made them
    assert recorded(info, text) is None
    info.write_text("[1, 2]")
    assert recorded(info, text) is None
