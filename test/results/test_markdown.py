"""Small pieces of the results page's text."""
from ctc_kd.results.markdown import any_seed


def test_a_parent_folder_is_named_with_its_seed_generalised():
    assert any_seed("exp/student_fpkd_stage1_seed3") == "`exp/student_fpkd_stage1_seed<k>`"
    assert any_seed("exp/round1/teacher") == "`exp/round1/teacher`"
    assert any_seed("../../cathy/asr1/exp/round1/student_alone_4x64_char") == (
        "`../../cathy/asr1/exp/round1/student_alone_4x64_char`")
