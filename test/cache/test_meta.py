"""A cache without a layer the student distils is refused with a fix the recipe can follow."""
import pytest

from ctc_kd.cache.meta import CacheMeta, CacheMismatchError, check_cache_matches, token_list_sha256

TOKENS = ["<blank>", "a", "b", "<sos/eos>"]


def test_a_missing_hidden_layer_names_the_stage_9_fix_not_an_option_run_sh_lacks(tmp_path):
    meta = CacheMeta(teacher_config="exp/teacher/config.yaml", teacher_model_file="exp/teacher/x.pth",
                     teacher_sha256="ab" * 32, token_list_sha256=token_list_sha256(TOKENS), vocab_size=4, topk=2,
                     hidden_layers=[-1], data_dir="dump/raw/train")
    check_cache_matches(meta, tmp_path, teacher_model_file="x.pth", token_list=TOKENS, hidden_layers=[-1],
                        teacher_sha256="ab" * 32)
    with pytest.raises(CacheMismatchError) as refused:
        check_cache_matches(meta, tmp_path, teacher_model_file="x.pth", token_list=TOKENS, hidden_layers=[2, -1],
                            teacher_sha256="ab" * 32)
    message = str(refused.value)
    assert f"distils teacher layers [2], which the cache {tmp_path} does not hold (it has [-1])" in message
    assert f"delete {tmp_path} and re-run stage 9 with this student's config among --student_configs" in message
