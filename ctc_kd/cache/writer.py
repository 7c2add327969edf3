"""Run the teacher once over a data dir, one utterance at a time, into resumable shards of kaldiio arks.

One utterance at a time: ESPnet's conformer is not padding-invariant, so a batched teacher's outputs depend on the
batch an utterance lands in; alone, they depend on the utterance only. Shards are the unit of resumption: a shard's
scp is renamed into place after its ark is complete, so an interrupted run redoes at most the shards in flight.
Across jobs (a cluster's GPUs): job K of N (shard=K, num_shards=N) writes the blocks i with i % N == K - 1, and
merge_cache, once all N have finished, publishes the cache exactly as one job would (ctc_kd.shards).
"""
import logging
import multiprocessing
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from ctc_kd import shards as job_shards
from ctc_kd.cache.format import POSTERIORS, hidden_name, pack_frames
from ctc_kd.cache.meta import CacheMeta, CacheMismatchError, file_sha256, read_meta, token_list_sha256
from ctc_kd.complete_files import write_text
from ctc_kd.losses.bucketed import teacher_buckets

PROGRESS_FILE = "meta.in_progress.json"


@torch.no_grad()
def utterance_outputs(model, speech: torch.Tensor, layers: Sequence[int], taps) -> Dict[str, torch.Tensor]:
    """The teacher's (T, V) CTC log-posteriors and (T, D) hidden states of `layers` for one (N,) waveform."""
    taps.clear()
    device = next(model.parameters()).device
    encoder_out, _ = model.encode(speech[None].to(device), torch.tensor([speech.shape[0]], device=device))
    if isinstance(encoder_out, tuple):
        encoder_out = encoder_out[0]
    out = {"log_probs": torch.log_softmax(model.ctc.ctc_lo(encoder_out)[0].float(), dim=-1).cpu()}
    for layer in layers:
        out[hidden_name(layer)] = taps.take(layer, encoder_out)[0].cpu()
    return out


def shard_paths(out_dir: Path, shard: int, name: str):
    return out_dir / "shards" / f"{name}.{shard}.ark", out_dir / "shards" / f"{name}.{shard}.scp"


def _write_shard(job) -> None:
    """Worker: load the teacher and write the shards given to it."""
    import kaldiio

    from ctc_kd.espnet_import import import_espnet_quietly
    from ctc_kd.models.hidden_taps import BlockOutputTaps
    from ctc_kd.teacher import load_teacher

    torch.set_num_threads(job["threads"])
    import_espnet_quietly()
    from espnet2.fileio.sound_scp import SoundScpReader

    model, _ = load_teacher(job["teacher_config"], job["teacher_model_file"])
    model.to(job["device"])
    taps = BlockOutputTaps(model.encoder, job["layers"])
    audio = SoundScpReader(job["wav_scp"], dtype="float32", always_2d=False)
    out_dir = Path(job["out_dir"])
    names = [POSTERIORS] + [hidden_name(layer) for layer in job["layers"]]
    for shard, keys in job["shards"]:
        writers = {}
        for name in names:
            ark, scp = shard_paths(out_dir, shard, name)
            writers[name] = kaldiio.WriteHelper(f"ark,scp:{ark},{scp}.tmp", write_function="numpy")
        for key in keys:
            _, wave = audio[key]
            if wave.ndim != 1 or wave.size == 0:
                raise ValueError(f"{job['wav_scp']}: utterance {key} is not mono audio with samples (shape "
                                 f"{wave.shape}): fix or drop it in the data dir (stage 4 filters it)")
            outputs = utterance_outputs(model, torch.from_numpy(wave), job["layers"], taps)
            writers[POSTERIORS][key] = pack_frames(teacher_buckets(outputs["log_probs"], job["topk"],
                                                                  model.blank_id))
            for layer in job["layers"]:
                writers[hidden_name(layer)][key] = outputs[hidden_name(layer)].half().numpy()
        for name, writer in writers.items():
            writer.close()
            _, scp = shard_paths(out_dir, shard, name)
            Path(f"{scp}.tmp").replace(scp)
        logging.info(f"cache shard {shard} done ({len(keys)} utterances)")


def _pending_shards(out_dir: Path, keys: List[str], shard_size: int, names: List[str]):
    shards = [(i, keys[start:start + shard_size]) for i, start in enumerate(range(0, len(keys), shard_size))]
    pending = [(i, ks) for i, ks in shards if not all(shard_paths(out_dir, i, n)[1].exists() for n in names)]
    return shards, pending


def plan_cache(*, teacher_config: str, teacher_model_file: str, data_dir: str, topk: int,
               hidden_layers: Sequence[int] = ()) -> Tuple[CacheMeta, List[str]]:
    """The metadata of the cache to write (checking the inputs) and the utterance ids, sorted."""
    import yaml

    wav_scp = Path(data_dir) / "wav.scp"
    if not wav_scp.is_file():
        raise FileNotFoundError(f"{wav_scp} does not exist: --data_dir must be a formatted data dir (dump/raw/<set>)")
    for path, what in ((teacher_config, "config.yaml"), (teacher_model_file, "selected checkpoint")):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} does not exist: pass the teacher's {what} (exp/<teacher>/config.yaml and "
                                    "e.g. exp/<teacher>/valid.cer_ctc.best.pth)")
    keys = sorted(line.split(maxsplit=1)[0] for line in wav_scp.read_text(encoding="utf-8").splitlines() if line)
    if not keys:
        raise ValueError(f"{wav_scp} is empty: nothing to cache")
    tokens = yaml.safe_load(Path(teacher_config).read_text(encoding="utf-8"))["token_list"]
    if isinstance(tokens, str):
        tokens = Path(tokens).read_text(encoding="utf-8").split()
    layers = sorted(set(int(x) for x in hidden_layers))
    topk = len(tokens) - 1 if int(topk) == 0 else int(topk)  # 0: every non-blank token (the losses are exact)
    meta = CacheMeta(teacher_config=str(teacher_config), teacher_model_file=str(teacher_model_file),
                     teacher_sha256=file_sha256(teacher_model_file), token_list_sha256=token_list_sha256(tokens),
                     vocab_size=len(tokens), topk=int(topk), hidden_layers=layers,
                     data_dir=str(Path(data_dir).resolve()))
    if not 1 <= meta.topk <= meta.vocab_size - 1:
        raise ValueError(f"--topk {topk}: must be between 1 and {meta.vocab_size - 1} (the non-blank tokens)")
    return meta, keys


def write_cache(*, teacher_config: str, teacher_model_file: str, data_dir: str, out_dir: str, topk: int,
                hidden_layers: Sequence[int] = (), nj: int = 1, shard_size: int = 200, device: str = "cpu",
                shard: Optional[int] = None, num_shards: int = 1) -> CacheMeta:
    """Write (or finish) the cache of `data_dir` in `out_dir`; returns its metadata (also in out_dir/meta.json).

    With `shard`, only job `shard` of `num_shards`'s blocks are written and the cache is left for merge_cache."""
    out = Path(out_dir)
    meta, keys = plan_cache(teacher_config=teacher_config, teacher_model_file=teacher_model_file, data_dir=data_dir,
                            topk=topk, hidden_layers=hidden_layers)
    layers = meta.hidden_layers
    if (out / "meta.json").exists():
        done = read_meta(out)
        if done.same_source(meta) and done.num_utterances == len(keys):
            logging.info(f"{out} already holds this cache ({done.num_utterances} utterances): nothing to do")
            return done
        raise CacheMismatchError(f"{out} holds a cache of another teacher, token list, k or data: delete {out} "
                                 "to rebuild it, or choose another --out_dir")
    (out / "shards").mkdir(parents=True, exist_ok=True)
    progress = out / PROGRESS_FILE
    if progress.exists():
        import json

        started = CacheMeta(**json.loads(progress.read_text(encoding="utf-8")))
        if not started.same_source(meta):
            raise CacheMismatchError(f"{out} holds a half-written cache of another teacher, token list, k or data "
                                     f"({progress}): delete {out} to start over")
    meta.write(out, PROGRESS_FILE)  # meta.json itself appears only once every shard is written

    names = [POSTERIORS] + [hidden_name(layer) for layer in layers]
    shards, pending = _pending_shards(out, keys, shard_size, names)
    if shard is not None:
        job_shards.check_shard(shard, num_shards)
        pending = [(i, ks) for i, ks in pending if i % num_shards == shard - 1]
    logging.info(f"caching {len(keys)} utterances of {data_dir} in {len(shards)} shards "
                 f"({len(shards) - len(pending)} already written"
                 f"{f' or left to the other jobs: job {shard} of {num_shards} writes the rest' if shard else ''}), "
                 f"top-{meta.topk}, hidden layers {layers}, nj={nj}")
    start = time.time()
    if pending:
        nj = max(1, min(nj, len(pending)))
        jobs = [dict(teacher_config=str(teacher_config), teacher_model_file=str(teacher_model_file),
                     wav_scp=str(Path(data_dir) / "wav.scp"), out_dir=str(out), layers=layers, topk=meta.topk,
                     shards=pending[j::nj], threads=max(1, torch.get_num_threads() // nj), device=device)
                for j in range(nj)]
        if nj == 1:
            _write_shard(jobs[0])
        else:
            with multiprocessing.get_context("spawn").Pool(nj) as pool:
                pool.map(_write_shard, jobs)
    meta.compute_seconds = round(time.time() - start, 2)
    if shard is not None:
        job_shards.write_record(out, shard, num_shards, _job_settings(meta, shard_size),
                             {"compute_seconds": meta.compute_seconds, "blocks": [i for i, _ in pending]})
        logging.info(f"{out}: job {shard} of {num_shards} wrote {len(pending)} shards; merge them when all are done")
        return meta
    return _finish(out, meta, shards, names)


def _job_settings(meta: CacheMeta, shard_size: int) -> Dict:
    """What every job of a cache must agree on: its source (teacher, tokens, k, layers, data) and the block size."""
    return {**{key: getattr(meta, key) for key in CacheMeta.SOURCE}, "shard_size": shard_size}


def merge_cache(*, teacher_config: str, teacher_model_file: str, data_dir: str, out_dir: str, topk: int,
                hidden_layers: Sequence[int] = (), shard_size: int = 200, num_shards: int,
                shard_log: Optional[str] = None) -> CacheMeta:
    """Publish the cache written by `num_shards` jobs, as one job would; refused while a job's blocks are missing."""
    out = Path(out_dir)
    meta, keys = plan_cache(teacher_config=teacher_config, teacher_model_file=teacher_model_file, data_dir=data_dir,
                            topk=topk, hidden_layers=hidden_layers)
    if (out / "meta.json").exists() and read_meta(out).same_source(meta):
        logging.info(f"{out} is merged already")
        return read_meta(out)
    records = job_shards.read_records(out, num_shards, _job_settings(meta, shard_size), shard_log)
    names = [POSTERIORS] + [hidden_name(layer) for layer in meta.hidden_layers]
    shards, pending = _pending_shards(out, keys, shard_size, names)
    if pending:
        owners = sorted({i % num_shards + 1 for i, _ in pending})
        raise job_shards.ShardError(f"{out}: shards {[i for i, _ in pending][:10]} of the cache are missing, though "
                                 f"their jobs {owners} of {num_shards} finished: run those jobs again (see "
                                 f"{job_shards.log_of(shard_log, owners[0])})")
    meta.compute_seconds = round(sum(record["compute_seconds"] for record in records), 2)
    return _finish(out, meta, shards, names)


def _finish(out: Path, meta: CacheMeta, shards, names: List[str]) -> CacheMeta:
    """Join the shard scps per data name, count what was written, and publish meta.json."""
    import kaldiio

    for name in names:
        lines = []
        for shard, _ in shards:
            lines += shard_paths(out, shard, name)[1].read_text(encoding="utf-8").splitlines()
        write_text(out / f"{name}.scp", "".join(f"{line}\n" for line in lines))
    posteriors = kaldiio.load_scp(str(out / f"{POSTERIORS}.scp"))
    meta.num_utterances = len(posteriors)
    meta.num_frames = sum(posteriors[key].shape[0] for key in posteriors)
    meta.audio_seconds = round(_audio_seconds(Path(meta.data_dir)), 3)
    meta.bytes_on_disk = sum(p.stat().st_size for p in (out / "shards").glob("*.ark"))
    meta.write(out)
    (out / PROGRESS_FILE).unlink(missing_ok=True)
    logging.info(f"wrote {out}: {meta.num_utterances} utterances, {meta.num_frames} frames, "
                 f"{meta.bytes_on_disk / 1e6:.1f} MB for {meta.audio_seconds / 3600:.3f} h of audio")
    return meta


def _audio_seconds(data_dir: Path) -> float:
    """Total duration from the audio file headers (for the disk-per-hour figure); 0 when they are not plain files."""
    import soundfile

    total = 0.0
    for line in (data_dir / "wav.scp").read_text(encoding="utf-8").splitlines():
        path = line.split(maxsplit=1)[1] if line else ""
        if not Path(path).is_file():
            return 0.0
        info = soundfile.info(path)
        total += info.frames / info.samplerate
    return total
