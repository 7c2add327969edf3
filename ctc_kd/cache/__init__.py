"""The teacher-output cache: the teacher run once over the data, read by KD students instead of the teacher."""
from ctc_kd.cache.format import POSTERIORS, hidden_name, pack_frames, unpack_batch
from ctc_kd.cache.meta import CacheMeta, CacheMismatchError, file_sha256, read_meta, token_list_sha256

__all__ = [
    "POSTERIORS",
    "CacheMeta",
    "CacheMismatchError",
    "file_sha256",
    "hidden_name",
    "pack_frames",
    "read_meta",
    "token_list_sha256",
    "unpack_batch",
]
