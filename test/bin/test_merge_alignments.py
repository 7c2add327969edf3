"""An alignment analysis run in shards (ctc_kd.data.split, one ctc_kd.bin.alignment per shard) and merged gives the
one-job analysis: its numbers, its plot utterance and both plots; a missing shard, or one of other weights, data or
--max_offset, is refused by name."""
import json
import logging

from test_alignment import run, setup  # noqa: F401 - setup is a fixture

from ctc_kd.bin.merge_alignments import main as merge
from ctc_kd.data.split import main as split

TIMING = ("seconds", "device", "threads", "data_dir", "num_shards")


def test_two_shards_merge_into_the_one_job_analysis(setup, caplog):  # noqa: F811
    tmp, data, teacher, student = setup
    (data / "utt2spk").write_text("".join(f"{line.split()[0]} cathy\n" for line in (data / "wav.scp").open()))
    assert split(["--num_shards", "2", str(data)]) == 0
    sharded = tmp / "sharded"
    for shard in ("1", "2"):
        assert run(teacher, student, data / "split2" / shard, sharded / "split2" / shard) == 0
    options = ["--teacher_dir", str(teacher), "--student_dir", str(student), "--data_dir", str(data), "--out_dir",
               str(sharded), "--batch_size", "3", "--num_threads", "1", "--num_shards", "2"]
    shard_plots = [json.loads((sharded / "split2" / k / "alignment.json").read_text())["plot_utt"] for k in "12"]
    for plot_utt in ([], ["--plot_utt", shard_plots[1]]):  # the whole set's median utterance; one a shard drew
        whole = tmp / f"whole{len(plot_utt)}"
        assert run(teacher, student, data, whole, *plot_utt) == 0
        with caplog.at_level(logging.INFO):
            assert merge(options + plot_utt) == 0
        one, merged = (json.loads((out / "alignment.json").read_text()) for out in (whole, sharded))
        assert {k: v for k, v in merged.items() if k not in TIMING} == {k: v for k, v in one.items() if k not in TIMING}
        assert merged["num_shards"] == 2 and merged["teacher_spikes"] > 20
        for png in ("posteriors.png", "offsets.png"):
            assert (sharded / png).read_bytes() == (whole / png).read_bytes(), png
        drawn_here = one["plot_utt"] not in shard_plots  # the median of four is neither shard's median of two
        assert drawn_here == (not plot_utt) and ("drawing " in caplog.text) == drawn_here
        caplog.clear()
    assert merge(options[:-2] + ["--num_shards", "3"]) == 1
    assert "3 of 3 shards did not finish: shard 1 (no " in caplog.text
    assert merge([options[0], str(student), *options[2:]]) == 1  # the shards compared another teacher
    assert f"split2/1/alignment.json was made with another teacher than now (teacher {student}," in caplog.text
    assert merge(options + ["--max_offset", "2"]) == 1
    assert "was made with another --max_offset than now" in caplog.text
    shard_scp = data / "split2" / "2" / "wav.scp"
    kept = shard_scp.read_text()
    shard_scp.write_text(kept.splitlines(True)[0])  # the shard's data changed after it was analysed
    assert merge(options) == 1 and "split2/2/alignment.json was made with another wav_scp than now" in caplog.text
    shard_scp.write_text(kept)
    assert merge(options) == 0
