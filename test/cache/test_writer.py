"""The cache holds, per utterance, exactly what the teacher computes for it alone; it resumes and refuses strangers."""
import json

import kaldiio
import pytest
import torch

from ctc_kd.cache import CacheMismatchError, read_meta
from ctc_kd.cache.format import unpack_batch
from ctc_kd.cache.writer import PROGRESS_FILE, merge_cache, shard_paths, write_cache
from ctc_kd.teacher import load_teacher
from tiny_models import TOKENS

V = len(TOKENS)


def cache(teacher, data_dir, out, **kw):
    options = dict(topk=V - 1, hidden_layers=[-1, 2], shard_size=2)
    options.update(kw)
    return write_cache(teacher_config=str(teacher[0]), teacher_model_file=str(teacher[1]), data_dir=str(data_dir),
                       out_dir=str(out), **options)


def test_each_utterance_holds_the_teachers_outputs_alone(teacher, data_dir, tmp_path):
    import soundfile

    meta = cache(teacher, data_dir, tmp_path / "cache")
    model, _ = load_teacher(*teacher)
    posteriors = kaldiio.load_scp(str(tmp_path / "cache" / "teacher_posteriors.scp"))
    hidden_out = kaldiio.load_scp(str(tmp_path / "cache" / "teacher_hidden_out.scp"))
    hidden_2 = kaldiio.load_scp(str(tmp_path / "cache" / "teacher_hidden_2.scp"))
    assert sorted(posteriors) == ["utt00", "utt01", "utt02", "utt03"]
    frames = 0
    for key in posteriors:
        wave, _ = soundfile.read(data_dir / "wav" / f"{key}.wav", dtype="float32")
        with torch.no_grad():
            out, lengths = model.encode(torch.from_numpy(wave)[None], torch.tensor([len(wave)]))
            log_probs = torch.log_softmax(model.ctc.ctc_lo(out), -1)[0]
        got = unpack_batch(torch.from_numpy(posteriors[key])[None], V)
        order = got.ids[0]
        assert torch.allclose(got.log_probs[0, :, 0], log_probs[:, 0], atol=1e-6)
        assert torch.allclose(got.log_probs[0, :, 1:], log_probs.gather(-1, order), atol=1e-6)
        assert torch.equal(order, log_probs[:, 1:].argsort(-1, descending=True) + 1)
        assert torch.allclose(torch.from_numpy(hidden_out[key]).float(), out[0], atol=2e-2, rtol=1e-2)
        assert hidden_2[key].dtype.name == "float16" and hidden_2[key].shape == (out.shape[1], 24)
        frames += out.shape[1]
    assert meta.num_utterances == 4 and meta.num_frames == frames and meta.vocab_size == V
    assert meta.audio_seconds == pytest.approx((3 * 16000 + 9000) / 16000, abs=1e-3)
    assert meta.bytes_on_disk > 0 and json.loads((tmp_path / "cache" / "meta.json").read_text())["topk"] == V - 1


def test_small_k_keeps_blank_top_k_and_the_rest_mass(teacher, data_dir, tmp_path):
    cache(teacher, data_dir, tmp_path / "cache", topk=2, hidden_layers=[])
    matrix = kaldiio.load_scp(str(tmp_path / "cache" / "teacher_posteriors.scp"))["utt03"]
    assert matrix.shape[1] == 2 * 2 + 2
    got = unpack_batch(torch.from_numpy(matrix)[None], V)
    assert got.has_rest and torch.allclose(got.log_probs.logsumexp(-1), torch.zeros(1, matrix.shape[0]), atol=1e-5)
    assert not (tmp_path / "cache" / "teacher_hidden_out.scp").exists()


def test_an_interrupted_cache_redoes_only_the_missing_shards(teacher, data_dir, tmp_path):
    out = tmp_path / "cache"
    cache(teacher, data_dir, out)
    first = (out / "teacher_posteriors.scp").read_text()
    kept_ark, _ = shard_paths(out, 0, "teacher_posteriors")
    kept_mtime = kept_ark.stat().st_mtime_ns
    # as if killed while writing shard 1: its scps are not in place and meta.json is not published yet
    for name in ("teacher_posteriors", "teacher_hidden_out", "teacher_hidden_2"):
        shard_paths(out, 1, name)[1].unlink()
    (out / "meta.json").rename(out / PROGRESS_FILE)
    meta = cache(teacher, data_dir, out)
    assert meta.num_utterances == 4 and (out / "teacher_posteriors.scp").read_text() == first
    assert kept_ark.stat().st_mtime_ns == kept_mtime
    assert not (out / PROGRESS_FILE).exists()


def test_a_finished_cache_is_not_redone_and_a_foreign_one_is_refused(teacher, data_dir, tmp_path):
    out = tmp_path / "cache"
    cache(teacher, data_dir, out)
    mtime = (out / "meta.json").stat().st_mtime_ns
    cache(teacher, data_dir, out)
    assert (out / "meta.json").stat().st_mtime_ns == mtime
    with pytest.raises(CacheMismatchError, match="another teacher, token list, k or data: delete"):
        cache(teacher, data_dir, out, topk=3)
    (out / "meta.json").rename(out / PROGRESS_FILE)
    with pytest.raises(CacheMismatchError, match="half-written cache"):
        cache(teacher, data_dir, out, topk=3)


def test_parallel_jobs_write_the_same_cache(teacher, data_dir, tmp_path):
    cache(teacher, data_dir, tmp_path / "one")
    cache(teacher, data_dir, tmp_path / "two", nj=2)
    one = kaldiio.load_scp(str(tmp_path / "one" / "teacher_posteriors.scp"))
    two = kaldiio.load_scp(str(tmp_path / "two" / "teacher_posteriors.scp"))
    for key in one:
        assert torch.allclose(torch.from_numpy(one[key]), torch.from_numpy(two[key]), atol=1e-5)
    assert read_meta(tmp_path / "two").num_utterances == 4


def test_bad_input_is_named(teacher, data_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="wav.scp does not exist"):
        cache(teacher, tmp_path / "nowhere", tmp_path / "c1")
    with pytest.raises(ValueError, match="between 1 and 8"):
        cache(teacher, data_dir, tmp_path / "c2", topk=V)
    with pytest.raises(CacheMismatchError, match="is not a finished teacher-output cache"):
        read_meta(tmp_path / "c3")


def test_topk_zero_keeps_every_token(teacher, data_dir, tmp_path):
    meta = cache(teacher, data_dir, tmp_path / "cache", topk=0, hidden_layers=[])
    assert meta.topk == V - 1


def test_jobs_on_several_machines_write_the_cache_of_one_job(teacher, data_dir, tmp_path):
    """Three jobs (as on three GPUs of a cluster) share the two blocks; once merged, the cache is one job's, byte for
    byte, and merging before a job has finished names that job's log."""
    cache(teacher, data_dir, tmp_path / "one")
    jobs = tmp_path / "jobs"
    for job in (1, 3):
        cache(teacher, data_dir, jobs, shard=job, num_shards=3)  # job 3 has no block of its own: 2 blocks, 3 jobs
    with pytest.raises(ValueError, match=r"shard 2 \(no .*split3/2/shard.json; see log/cache.2.log\)"):
        merge_cache(teacher_config=str(teacher[0]), teacher_model_file=str(teacher[1]), data_dir=str(data_dir),
                    out_dir=str(jobs), topk=V - 1, hidden_layers=[-1, 2], shard_size=2, num_shards=3,
                    shard_log="log/cache.JOB.log")
    assert not (jobs / "meta.json").exists()
    cache(teacher, data_dir, jobs, shard=2, num_shards=3)
    meta = merge_cache(teacher_config=str(teacher[0]), teacher_model_file=str(teacher[1]), data_dir=str(data_dir),
                       out_dir=str(jobs), topk=V - 1, hidden_layers=[-1, 2], shard_size=2, num_shards=3)
    assert meta.num_utterances == 4 and not (jobs / PROGRESS_FILE).exists()
    for name in ("teacher_posteriors", "teacher_hidden_out", "teacher_hidden_2"):
        assert (jobs / f"{name}.scp").read_text() == (tmp_path / "one" / f"{name}.scp").read_text().replace(
            str(tmp_path / "one"), str(jobs))
        for block in (0, 1):
            ark = shard_paths(jobs, block, name)[0].read_bytes()
            assert ark == shard_paths(tmp_path / "one", block, name)[0].read_bytes()
    assert {k: v for k, v in vars(read_meta(jobs)).items() if k != "compute_seconds"} == \
        {k: v for k, v in vars(read_meta(tmp_path / "one")).items() if k != "compute_seconds"}
