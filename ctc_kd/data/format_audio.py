"""Turn a data dir's audio into one 16-bit mono file per utterance at a fixed rate (cut, speed-perturbed, resampled).

Reads wav.scp (plain file paths of anything libsndfile reads: WAV, FLAC, NIST SPHERE PCM, ...; relative paths are
taken from the current directory, as in Kaldi; command pipes are refused), optional segments
(start/end seconds in the recording) and optional utt2speed (`<utt> <factor>` from ctc_kd.data.speed_perturb).
For each utterance: cut the segment, keep the FIRST channel of multi-channel audio, apply the speed factor f the
Kaldi/sox "speed" way (the samples are taken to be at round(fs_in * f) Hz and resampled to --fs, so the length
becomes len / f and the pitch moves with it), resample to --fs with torchaudio.functional.resample, and write
`OUT_DIR/data/<utt>.<flac|wav>` atomically. OUT_DIR gets wav.scp (absolute paths), utt2num_samples, text, utt2spk and
spk2utt (no segments). Re-running skips utterances whose output file exists and is readable, so an interrupted run
resumes.
With --shard K --num_shards N a job formats one shard of the utterances (one job per shard, on a cluster too); the
same command with --merge_shards N then writes OUT_DIR's files, the same as one job's (ctc_kd.shards).
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import soundfile as sf

from ctc_kd import shards
from ctc_kd.cli import run
from ctc_kd.complete_files import written_whole
from ctc_kd.data.datadir import DataDir, DataDirError, PathLike, parse_segments, restrict, write_kv
from ctc_kd.data.validate import validate_data_dir

log = logging.getLogger(__name__)

FORMATS = {"flac": "FLAC", "wav": "WAV"}
SHORT_SECONDS = 0.06  # 7 frames of 10 ms: what a conv2d (4x) subsampling needs for its first output frame
COPIED = ("text", "utt2spk")  # per-utterance files carried over unchanged (spk2utt is regenerated)
JOBS = "jobs"  # OUT_DIR/jobs/split<N>/<K>: the shards' records, apart from the split<N>/ a data dir's readers make


@dataclass(frozen=True)
class Job:
    """One utterance to format."""

    utt: str
    src: str
    start: Optional[float]  # seconds into the recording, None for the whole file
    end: Optional[float]
    speed: float
    out: str


@dataclass(frozen=True)
class Result:
    utt: str
    num_samples: int = 0
    error: Optional[str] = None
    skipped: bool = False  # output already there (resume)


class BadAudio(Exception):
    """An utterance's audio cannot be used; the message says which file and how to fix it."""


def _existing_frames(path: str, fs: int) -> int:
    """Number of samples of an already written output, or 0 if it is missing, unreadable or of another rate."""
    if not os.path.isfile(path):
        return 0
    try:
        info = sf.info(path)
    except Exception:  # noqa: BLE001 - any unreadable file is simply redone
        return 0
    return info.frames if info.samplerate == fs else 0


def wav_header_frames(path: str) -> Optional[int]:
    """Samples a RIFF WAV's header promises (data chunk size / block align); None when it does not say (a streamed
    file's 0 or 0xFFFFFFFF) or has no such chunk. libsndfile quietly reads what is there instead."""
    with open(path, "rb") as f:
        if f.read(12)[8:12] != b"WAVE":
            return None
        block_align = None
        while True:
            header = f.read(8)
            if len(header) < 8:
                return None
            chunk, size = header[:4], int.from_bytes(header[4:], "little")
            if chunk == b"fmt ":
                block_align = int.from_bytes(f.read(16)[12:14], "little")
                f.seek(size - 16 + size % 2, os.SEEK_CUR)
            elif chunk == b"data":
                if not block_align or size in (0, 0xFFFFFFFF):
                    return None
                return size // block_align
            else:
                f.seek(size + size % 2, os.SEEK_CUR)


def _read(job: Job, max_overshoot: float) -> Tuple[np.ndarray, int]:
    """Read the job's samples (first channel, float32) and their sample rate."""
    if not os.path.isfile(job.src):
        raise BadAudio(f"audio file {job.src} not found")
    try:
        info = sf.info(job.src)
    except Exception as e:  # noqa: BLE001 - libsndfile's message says what is wrong with the file
        raise BadAudio(f"cannot read {job.src} as audio ({e})") from None
    if info.frames <= 0:
        raise BadAudio(f"audio file {job.src} is empty (0 samples)")
    promised = wav_header_frames(job.src) if info.format == "WAV" else None
    if promised is not None and promised > info.frames:
        raise BadAudio(f"audio file {job.src} is cut short: its header promises {promised} samples but it holds "
                       f"{info.frames}; copy it again from the corpus")
    sr = info.samplerate
    start, stop = 0, info.frames
    if job.start is not None:
        start, stop = int(round(job.start * sr)), int(round(job.end * sr))
        if start >= info.frames or stop > info.frames + int(round(max_overshoot * sr)):
            raise BadAudio(
                f"segment {job.start:g}-{job.end:g} s is beyond the end of {job.src} ({info.frames / sr:.3f} s)"
            )
        stop = min(stop, info.frames)
    try:
        data, sr = sf.read(job.src, start=start, stop=stop, dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001
        raise BadAudio(f"cannot read samples {start}-{stop} of {job.src} ({e})") from None
    if data.shape[0] == 0:
        raise BadAudio(f"no samples in {job.src} for this utterance")
    if data.shape[1] > 1 and not data[:, 0].any() and data[:, 1:].any():
        other = 1 + int(np.flatnonzero(data[:, 1:].any(axis=0))[0]) + 1
        raise BadAudio(f"the first channel of {job.src} (the one kept) is silent, channel {other} is not: extract "
                       f"that channel into a mono file (e.g. sox IN OUT remix {other}) and list it in wav.scp")
    return data[:, 0], sr


def _to_target(x: np.ndarray, sr: int, speed: float, fs: int) -> np.ndarray:
    """Apply speed (samples taken as at round(sr*speed) Hz) and resample to fs."""
    orig = int(round(sr * speed))
    if orig == fs:
        return x
    import torch
    from torchaudio.functional import resample

    return resample(torch.from_numpy(np.ascontiguousarray(x)), orig, fs).numpy()


def _to_int16(x: np.ndarray) -> np.ndarray:
    """Float in [-1, 1) to 16-bit PCM with clipping (16-bit input round-trips exactly)."""
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def format_one(job: Job, fs: int, audio_format: str, max_overshoot: float) -> Result:
    """Format one utterance; never raises: problems come back in Result.error."""
    done = _existing_frames(job.out, fs)
    if done > 0:
        return Result(job.utt, done, skipped=True)
    try:
        x, sr = _read(job, max_overshoot)
        y = _to_int16(_to_target(x, sr, job.speed, fs))
        if y.shape[0] == 0:
            raise BadAudio(f"{job.src}: nothing left after resampling")
        with written_whole(job.out) as tmp:
            sf.write(str(tmp), y, fs, format=FORMATS[audio_format], subtype="PCM_16")
        return Result(job.utt, int(y.shape[0]))
    except BadAudio as e:
        return Result(job.utt, error=str(e))
    except Exception as e:  # noqa: BLE001 - reported with the utterance instead of killing the pool
        return Result(job.utt, error=f"{type(e).__name__} while formatting {job.src}: {e}")


def _init_worker() -> None:
    """One thread per worker process: --nj processes already use the cores."""
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def _work(args) -> Result:
    return format_one(*args)


def make_jobs(in_dir: PathLike, out_dir: PathLike, audio_format: str) -> Tuple[List[Job], Dict[str, Dict[str, str]]]:
    """Validate `in_dir` and list one Job per utterance."""
    validate_data_dir(in_dir, allow_empty_text=True)
    d = DataDir(in_dir)
    maps = d.read_all()
    wav = maps["wav.scp"]
    for rec, path in wav.items():
        if path.endswith("|") or len(path.split()) > 1:
            raise DataDirError(
                f"{d.wav_scp}: '{rec}' is not a plain file path ('{path}'); ctc_kd reads audio files directly: "
                f"convert the audio to files (wav/flac/sph) and list their paths"
            )
    segments = parse_segments(maps["segments"], d.segments) if "segments" in maps else None
    speeds = {u: float(v) for u, v in maps.get("utt2speed", {}).items()}
    data = (Path(out_dir) / "data").resolve()
    jobs = []
    for utt in sorted(maps["utt2spk"]):
        if "/" in utt or utt.startswith("."):
            raise DataDirError(f"{d.utt2spk}: utterance id '{utt}' cannot be a file name; rename it")
        if segments is not None:
            rec, start, end = segments[utt]
        else:
            rec, start, end = utt, None, None
        jobs.append(Job(utt, os.path.abspath(wav[rec]), start, end, speeds.get(utt, 1.0),
                        str(data / f"{utt}.{audio_format}")))
    return jobs, maps


def format_audio(
    in_dir: PathLike,
    out_dir: PathLike,
    fs: int = 16000,
    nj: int = 1,
    audio_format: str = "flac",
    skip_bad: bool = False,
    max_overshoot: float = 0.0,
    shard: Optional[int] = None,
    num_shards: int = 1,
) -> Dict[str, int]:
    """Format every utterance of `in_dir` into `out_dir` (with `shard`: only that shard's, recorded in
    out_dir/jobs/split<N>/<shard> for merge_shards); returns {'done', 'skipped', 'bad'} counts."""
    if audio_format not in FORMATS:
        raise DataDirError(f"--audio_format must be one of {sorted(FORMATS)}, got '{audio_format}'")
    if Path(out_dir).resolve() == Path(in_dir).resolve():
        raise DataDirError(f"{out_dir}: output dir is the input dir; write the formatted dir to a new dir")
    jobs, maps = make_jobs(in_dir, out_dir, audio_format)
    if shard is not None:
        jobs = shards.select(jobs, shard, num_shards)
    num_samples, bad, skipped = format_jobs(jobs, in_dir, out_dir, fs, nj, audio_format, skip_bad, max_overshoot)
    if shard is not None:
        shards.write_record(Path(out_dir) / JOBS, shard, num_shards, shard_settings(in_dir, fs, audio_format, skip_bad,
                                                                       max_overshoot),
                            {"num_samples": num_samples, "bad": bad, "skipped": skipped})
        log.info("%s: shard %d of %d: %d utterances formatted (%d were already done), %d bad", out_dir, shard,
                 num_shards, len(num_samples), skipped, len(bad))
        return {"done": len(num_samples), "skipped": skipped, "bad": len(bad)}
    write_formatted(in_dir, out_dir, maps, num_samples, bad, audio_format, skip_bad)
    log.info("%s: %d utterances formatted (%d were already done), %d bad%s", out_dir, len(num_samples), skipped,
             len(bad), f" (listed in {Path(out_dir) / 'bad_utts'})" if bad else "")
    warn_short(out_dir, num_samples, fs)
    return {"done": len(num_samples), "skipped": skipped, "bad": len(bad)}


def merge_shards(in_dir: PathLike, out_dir: PathLike, fs: int, audio_format: str, skip_bad: bool,
                 max_overshoot: float, num_shards: int, shard_log: Optional[str] = None) -> Dict[str, int]:
    """Write out_dir's data files from its N finished shards: the same files as formatting in one job."""
    jobs, maps = make_jobs(in_dir, out_dir, audio_format)
    records = shards.read_records(Path(out_dir) / JOBS, num_shards, shard_settings(in_dir, fs, audio_format, skip_bad,
                                                                      max_overshoot), shard_log)
    num_samples = {u: n for r in records for u, n in r["num_samples"].items()}
    bad = {u: why for r in records for u, why in r["bad"].items()}
    differ = sorted({j.utt for j in jobs} ^ (set(num_samples) | set(bad)))
    if differ:
        raise DataDirError(f"{in_dir} and the shards' utterances differ ({', '.join(differ[:5])}): it changed after "
                           f"the shards ran; format it again (delete {Path(out_dir) / JOBS / f'split{num_shards}'})")
    write_formatted(in_dir, out_dir, maps, num_samples, bad, audio_format, skip_bad)
    log.info("%s: %d utterances of %d shards merged, %d bad", out_dir, len(num_samples), num_shards, len(bad))
    warn_short(out_dir, num_samples, fs)
    return {"done": len(num_samples), "skipped": sum(r["skipped"] for r in records), "bad": len(bad)}


def shard_settings(in_dir: PathLike, fs: int, audio_format: str, skip_bad: bool, max_overshoot: float) -> Dict:
    """What a shard's formatting depends on: its record must match the merge's."""
    return {"in_dir": str(Path(in_dir).resolve()), "fs": fs, "audio_format": audio_format, "skip_bad": skip_bad,
            "max_overshoot": max_overshoot}


def format_jobs(jobs: List[Job], in_dir: PathLike, out_dir: PathLike, fs: int, nj: int, audio_format: str,
                skip_bad: bool, max_overshoot: float) -> Tuple[Dict[str, int], Dict[str, str], int]:
    """Format the jobs with `nj` processes: (utt -> samples, utt -> '<source> <why it is bad>', number skipped)."""
    (Path(out_dir) / "data").mkdir(parents=True, exist_ok=True)
    total = len(jobs)
    log.info("formatting %d utterances of %s to %d Hz %s in %s (nj=%d)", total, in_dir, fs, audio_format, out_dir, nj)
    num_samples: Dict[str, int] = {}
    bad: Dict[str, str] = {}
    skipped = 0
    step = max(1, total // 10)
    src_of = {j.utt: j.src for j in jobs}
    tasks = [(j, fs, audio_format, max_overshoot) for j in jobs]
    pool = None
    try:
        if nj > 1 and total > 1:
            pool = multiprocessing.get_context("fork").Pool(min(nj, total), initializer=_init_worker)
            results = pool.imap_unordered(_work, tasks, chunksize=max(1, min(32, total // (nj * 20))))
        else:
            results = map(_work, tasks)
        for n, res in enumerate(results, start=1):
            if res.error is not None:
                msg = f"utterance '{res.utt}': {res.error}"
                if not skip_bad:
                    raise DataDirError(
                        f"{msg}\n  fix: correct or replace the audio file (wav.scp/segments of {in_dir}), or remove "
                        f"the utterance with `python -m ctc_kd.data.subset`, or re-run with --skip_bad to drop such "
                        f"utterances (listed in {Path(out_dir) / 'bad_utts'}); finished files are kept and reused"
                    )
                log.warning("dropping %s", msg)
                bad[res.utt] = f"{src_of[res.utt]} {res.error}"
            else:
                num_samples[res.utt] = res.num_samples
                skipped += res.skipped
            if total >= 20 and (n % step == 0 or n == total):
                log.info("%d/%d utterances (%d%%)", n, total, 100 * n // total)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return num_samples, bad, skipped


def write_formatted(in_dir: PathLike, out_dir: PathLike, maps: Dict[str, Dict[str, str]], num_samples: Dict[str, int],
                    bad: Dict[str, str], audio_format: str, skip_bad: bool) -> None:
    """Write out_dir's data files for the formatted utterances (and bad_utts with --skip-bad)."""
    if skip_bad:
        write_kv(Path(out_dir) / "bad_utts", bad)
    if not num_samples:
        raise DataDirError(f"{in_dir}: no utterance could be formatted; see {Path(out_dir) / 'bad_utts'}")
    out = restrict({n: maps[n] for n in COPIED if n in maps}, num_samples)
    out["wav.scp"] = {u: str((Path(out_dir) / "data" / f"{u}.{audio_format}").resolve()) for u in num_samples}
    out["utt2num_samples"] = {u: str(n) for u, n in num_samples.items()}
    DataDir(out_dir).write_all(out)


def warn_short(out_dir: PathLike, num_samples: Dict[str, int], fs: int) -> None:
    """Name the utterances too short for a model's first frames, so that their empty hypotheses are no surprise."""
    short = sorted(u for u, n in num_samples.items() if n < SHORT_SECONDS * fs)
    if short:
        log.warning("%s: %d utterance(s) shorter than %g s, too short for a model's first frames (decoding gives "
                    "them an empty hypothesis; stage 4 drops them from training sets): %s", out_dir, len(short),
                    SHORT_SECONDS, ", ".join(short[:10]) + (" ..." if len(short) > 10 else ""))


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.data.format_audio",
        description=__doc__.split("\n")[0] + " Multi-channel audio keeps its first channel.",
    )
    parser.add_argument("--fs", type=int, default=16000, help="output sample rate in Hz")
    parser.add_argument("--nj", type=int, default=1, help="parallel worker processes")
    parser.add_argument("--audio_format", choices=sorted(FORMATS), default="flac", help="output file format (16-bit)")
    parser.add_argument("--skip_bad", action="store_true",
                        help="drop utterances whose audio is missing/corrupt/empty (listed in OUT_DIR/bad_utts) "
                        "instead of stopping")
    parser.add_argument("--max_overshoot", type=float, default=0.0,
                        help="seconds a segment may end past its recording's end (cut at the end); more is an error")
    shards.add_options(parser, "format only shard K of the utterances (a launcher's JOB), recorded in "
                       "OUT_DIR/jobs/split<N>/<K>", "write OUT_DIR's data files")
    parser.add_argument("in_dir")
    parser.add_argument("out_dir")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    if args.merge_shards is not None:
        return run(lambda: merge_shards(args.in_dir, args.out_dir, args.fs, args.audio_format, args.skip_bad,
                                        args.max_overshoot, args.merge_shards, args.shard_log) and 0)
    return run(lambda: format_audio(args.in_dir, args.out_dir, args.fs, args.nj, args.audio_format, args.skip_bad,
                                    args.max_overshoot, args.shard, args.num_shards) and 0)


if __name__ == "__main__":
    sys.exit(main())
