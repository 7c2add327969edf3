"""A run's start, read back from the init_param its config.yaml records."""
from ctc_kd.init.origin import initialised_from, pruned_blocks, pruned_path


def test_scratch_chain_teacher_and_pruned():
    assert initialised_from({"init_param": []}) == "" and initialised_from({}) == ""
    fpkd = {"init_param": ["exp/student_fpkd_stage1_seed2/valid.cer_ctc.best.pth:::repr_projections"]}
    assert initialised_from(fpkd) == "student_fpkd_stage1_seed2" and pruned_blocks(fpkd) is None
    skd = {"init_param": ["exp/teacher/valid.cer_ctc.best.pth:::repr_projections",
                          "exp/teacher/valid.cer_ctc.best.pth:ctc:sub_ctc"]}
    assert initialised_from(skd) == "teacher" and pruned_blocks(skd) is None
    pruned = {"init_param": [str(pruned_path("exp/teacher/valid.cer_ctc.best.pth", 4))]}
    assert pruned["init_param"] == ["exp/teacher/valid.cer_ctc.best.first_4_blocks.pth"]
    assert initialised_from(pruned) == "teacher" and pruned_blocks(pruned) == 4
