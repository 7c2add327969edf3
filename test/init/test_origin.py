"""A run's start, read back from the init_param its config.yaml records."""
from ctc_kd.init.origin import initialised_from, initialised_from_path, pruned_blocks, pruned_path


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


def test_the_path_names_a_parent_that_shares_the_runs_name():
    """A round-2 teacher that starts from round 1's is told apart from itself by the path init_param wrote."""
    round2 = {"init_param": ["exp/round1/teacher/17epoch.pth:encoder:encoder"]}
    assert initialised_from(round2) == "teacher" and initialised_from_path(round2) == "exp/round1/teacher"
    assert initialised_from_path({}) == ""
