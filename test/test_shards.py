"""Shards split a data set into N near-equal consecutive blocks, and a merge accepts only a complete, consistent set."""
import pytest

from ctc_kd import shards


def test_blocks_cover_the_keys_once_in_order_with_sizes_differing_by_one_at_most():
    keys = [f"u{i:02d}" for i in range(10)]
    parts = [shards.select(keys, k, 4) for k in range(1, 5)]
    assert parts == [keys[0:3], keys[3:6], keys[6:8], keys[8:10]]
    assert [shards.select(keys[:2], k, 3) for k in (1, 2, 3)] == [["u00"], ["u01"], []]  # more shards than keys
    assert shards.select(keys, 1, 1) == keys


def test_a_shard_outside_one_to_n_is_refused():
    with pytest.raises(shards.ShardError, match=r"--shard 0 is not one of 1..3 \(--num_shards 3\)"):
        shards.select(["a"], 0, 3)
    with pytest.raises(shards.ShardError, match="--num_shards must be at least 1, got 0"):
        shards.check_shard(1, 0)


def test_records_merge_only_when_every_shard_finished_with_the_same_settings(tmp_path):
    settings = {"data": "dump/raw/dev", "k": 8}
    shards.write_record(tmp_path, 2, 2, settings, {"count": 2})
    with pytest.raises(shards.ShardError, match=r"1 of 2 shards did not finish: shard 1 \(no .*split2/1/shard.json; "
                                                r"see exp/log/x.1.log\)"):
        shards.read_records(tmp_path, 2, settings, "exp/log/x.JOB.log")
    shards.write_record(tmp_path, 1, 2, {"data": "dump/raw/dev", "k": 4}, {"count": 1})
    with pytest.raises(shards.ShardError, match=r"split2/1/shard.json was written by a run with k=4, not k=8: run "
                                                r"shard 1 of 2 again"):
        shards.read_records(tmp_path, 2, settings)
    shards.write_record(tmp_path, 1, 2, settings, {"count": 1})
    assert shards.read_records(tmp_path, 2, settings) == [{"count": 1}, {"count": 2}]
    assert not [p for p in (tmp_path / "split2" / "1").iterdir() if p.name != "shard.json"]  # no temp file left
