"""What a cache was made from (teacher checkpoint, token list, data, k), so a stale or foreign cache is refused."""
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import List, Optional, Sequence

from ctc_kd.complete_files import write_text

META_FILE = "meta.json"
FORMAT_VERSION = 1


class CacheMismatchError(RuntimeError):
    """The cache cannot stand in for this teacher on this data; the message names the file and the fix."""


@dataclasses.dataclass
class CacheMeta:
    teacher_config: str
    teacher_model_file: str
    teacher_sha256: str  # of the checkpoint file the outputs came from
    token_list_sha256: str  # of the token list, one token per line
    vocab_size: int
    topk: int
    hidden_layers: List[int]
    data_dir: str
    num_utterances: int = 0
    num_frames: int = 0
    audio_seconds: float = 0.0
    compute_seconds: float = 0.0
    bytes_on_disk: int = 0
    format_version: int = FORMAT_VERSION

    def write(self, cache_dir: Path, name: str = META_FILE) -> None:
        # the jobs of one cache write its progress file at once, each through a partial file of its own
        write_text(Path(cache_dir) / name, json.dumps(dataclasses.asdict(self), indent=2) + "\n")

    SOURCE = ("teacher_sha256", "token_list_sha256", "topk", "hidden_layers", "data_dir", "format_version")

    def same_source(self, other: "CacheMeta") -> bool:
        """Same teacher, tokens, k, layers and data: a half-written cache may be continued."""
        return all(getattr(self, k) == getattr(other, k) for k in self.SOURCE)


def read_meta(cache_dir) -> CacheMeta:
    path = Path(cache_dir) / META_FILE
    if not path.is_file():
        raise CacheMismatchError(f"{path} does not exist: {cache_dir} is not a finished teacher-output cache; "
                                 "make it with python -m ctc_kd.bin.teacher_cache (stage 9 of asr_kd.sh)")
    fields = json.loads(path.read_text(encoding="utf-8"))
    if fields.get("format_version") != FORMAT_VERSION:
        raise CacheMismatchError(f"{path} has cache format {fields.get('format_version')}, this version reads "
                                 f"{FORMAT_VERSION}: delete {cache_dir} and run stage 9 again")
    return CacheMeta(**fields)


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def token_list_sha256(tokens: Sequence[str]) -> str:
    return hashlib.sha256("".join(f"{t}\n" for t in tokens).encode("utf-8")).hexdigest()


def check_cache_matches(meta: CacheMeta, cache_dir, *, teacher_model_file, token_list: Sequence[str],
                        hidden_layers: Sequence[int] = (), teacher_sha256: Optional[str] = None) -> None:
    """Refuse a cache of another teacher, token list, or without the hidden layers the student distils."""
    sha = teacher_sha256 or file_sha256(teacher_model_file)
    if meta.teacher_sha256 != sha:
        raise CacheMismatchError(
            f"the teacher-output cache {cache_dir} was made by the checkpoint {meta.teacher_model_file} "
            f"(sha256 {meta.teacher_sha256[:12]}), not by this student's teacher {teacher_model_file} "
            f"(sha256 {sha[:12]}): re-run stage 9 (delete {cache_dir} first) or use teacher_mode: online")
    if meta.token_list_sha256 != token_list_sha256(token_list):
        raise CacheMismatchError(
            f"the teacher-output cache {cache_dir} was made with another token list ({meta.vocab_size} tokens) than "
            f"the student's ({len(token_list)} tokens): re-run stage 9 with the recipe's token list")
    missing = sorted(set(hidden_layers) - set(meta.hidden_layers))
    if missing:
        raise CacheMismatchError(
            f"the student distils teacher layers {missing}, which the cache {cache_dir} does not hold (it has "
            f"{meta.hidden_layers}): delete {cache_dir} and re-run stage 9 with this student's config among "
            "--student_configs (stage 9 caches the layers of every kd_student listed there; by hand: "
            "python -m ctc_kd.bin.teacher_cache --hidden_layers ...)")
