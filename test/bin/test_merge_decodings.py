"""Decoding a data dir in shards (ctc_kd.data.split, one ctc_kd.bin.decode per shard) and merging them gives the
one-job decoding's files; a missing shard, one of other data or other weights is refused by name."""
import json
import os

from test_decode import FILES, data_dir, save_training  # noqa: F401 - data_dir is a fixture

from ctc_kd.bin.decode import main as decode
from ctc_kd.bin.merge_decodings import main as merge
from ctc_kd.data.split import main as split
from ctc_kd.decoding.identity import made_by
from ctc_kd.models.export import export_plain


def test_two_shards_merge_into_the_one_job_decoding(data_dir, tmp_path, caplog):  # noqa: F811
    (data_dir / "utt2spk").write_text("".join(f"cathy_{name} cathy\n" for name in sorted(FILES)))
    export_plain(*save_training(tmp_path), tmp_path / "export")
    model = ["--model_dir", str(tmp_path / "export")]
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    assert decode(model + ["--data_dir", str(data_dir), "--output_dir", str(whole)]) == 0
    assert split(["--num_shards", "2", str(data_dir)]) == 0
    log = str(tmp_path / "log" / "decode.JOB.log")
    for shard in (1, 2):
        assert decode(model + ["--data_dir", str(data_dir / "split2" / str(shard)), "--output_dir",
                               str(sharded / "split2" / str(shard))]) == 0
    info_2 = sharded / "split2" / "2" / "decode_info.json"
    os.rename(info_2, tmp_path / "info")
    merging = ["--num_shards", "2", "--data_dir", str(data_dir), "--output_dir", str(sharded), "--shard_log", log]
    assert merge(merging) == 1 and f"shard 2 (no {info_2}; see {tmp_path}/log/decode.2.log)" in caplog.text
    os.rename(tmp_path / "info", info_2)
    shard_scp = data_dir / "split2" / "2" / "wav.scp"
    kept = shard_scp.read_text()
    shard_scp.write_text(kept.splitlines(True)[0])  # the shard's data changed after it was decoded
    assert merge(merging) == 1 and f"{info_2} is a decoding of another {shard_scp} than the one there" in caplog.text
    shard_scp.write_text(kept)
    other = json.loads(info_2.read_text())
    info_2.write_text(json.dumps(dict(other, made_by=dict(other["made_by"], weights="f" * 64))))
    assert merge(merging) == 1 and f"{info_2} and shard 1's decoding differ in made_by.weights" in caplog.text
    info_2.write_text(json.dumps(other))
    assert merge(merging) == 0
    for name in ("text", "token", "token_int"):
        assert (sharded / name).read_bytes() == (whole / name).read_bytes(), name
    one, merged = (json.loads((out / "decode_info.json").read_text()) for out in (whole, sharded))
    for key in ("num_utts", "frames", "blank_frames", "blank_ratio", "params", "model", "made_by"):
        assert merged[key] == one[key], key
    assert abs(merged["audio_seconds"] - one["audio_seconds"]) < 1e-9 and merged["num_shards"] == 2
    assert merged["data_dir"] == str(data_dir) and merged["decode_seconds"] > 0


def test_hypotheses_are_merged_line_for_line(tmp_path):
    """A hypothesis may end in a space (a last <space> token) or be empty: each line is kept as the shard wrote it."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "wav.scp").write_text("a /a.wav\nb /b.wav\nc /c.wav\n")
    info = {"decoder": "greedy", "model": str(tmp_path / "model.pth"), "num_utts": 1, "audio_seconds": 1.0,
            "decode_seconds": 0.5, "read_seconds": 0.1}
    for shard, lines in ((1, ["a YES NO "]), (2, ["b", "c NO"])):
        out, shard_data = tmp_path / "out" / "split2" / str(shard), data / "split2" / str(shard)
        out.mkdir(parents=True)
        shard_data.mkdir(parents=True)
        (shard_data / "wav.scp").write_text("".join(f"{line.split()[0]} /{line.split()[0]}.wav\n" for line in lines))
        for name in ("text", "token", "token_int"):
            (out / name).write_text("".join(f"{line}\n" for line in lines))
        record = made_by("0" * 64, shard_data, {"decoder": "greedy"})
        (out / "decode_info.json").write_text(json.dumps(dict(info, data_dir=str(shard_data), made_by=record)))
    assert merge(["--num_shards", "2", "--data_dir", str(data), "--output_dir", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "text").read_text() == "a YES NO \nb\nc NO\n"
    merged = json.loads((tmp_path / "out" / "decode_info.json").read_text())
    assert (merged["num_utts"], merged["audio_seconds"], merged["rtf"]) == (2, 2.0, 0.5)
