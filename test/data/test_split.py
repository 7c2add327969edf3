"""ctc_kd.data.split: N shard data dirs that hold every utterance once, each consistent, in blocks of sorted ids."""
from ctc_kd.data.split import main
from ctc_kd.data.validate import validate_data_dir


def test_shards_hold_every_utterance_once_with_their_recordings(write_dir, tmp_path, caplog):
    d = write_dir(tmp_path / "d", {
        "wav.scp": ["r1 /r1.wav", "r2 /r2.wav"],
        "segments": ["a-1 r1 0 1", "a-2 r1 1 2", "b-1 r2 0 1"],
        "text": ["a-1 x", "a-2 y", "b-1 z"],
        "utt2spk": ["a-1 a", "a-2 a", "b-1 b"],
        "spk2utt": ["a a-1 a-2", "b b-1"],
    })
    assert main(["--num_shards", "2", str(d)]) == 0
    first, second = d / "split2" / "1", d / "split2" / "2"
    assert (first / "text").read_text() == "a-1 x\na-2 y\n" and (first / "wav.scp").read_text() == "r1 /r1.wav\n"
    assert (second / "segments").read_text() == "b-1 r2 0 1\n" and (second / "spk2utt").read_text() == "b b-1\n"
    assert validate_data_dir(first).num_utts == 2 and validate_data_dir(second).num_utts == 1
    assert main(["--num_shards", "4", str(d)]) == 1
    assert "--num_shards 4: " in caplog.text and "has 3 utterances; split it into 1 to 3 shards" in caplog.text
