"""The Method column: each KD term's label, schedules, SKD's block, where a run started, round 1's flat keys."""
from ctc_kd.results.labels import method_name


def test_method_name_edge_cases():
    def kd(**terms):
        return {"model": "kd_student", "model_conf": {"kd_terms": terms}}

    assert method_name(kd(binary_kd={}, fkl={"weight": 2.0}), "x") == "binary KD + FKL ×2"
    assert method_name(kd(fkl={"variant": "B"}), "x") == "FKL (variant B)"
    assert method_name(kd(sfmx_kd={"temperature": 2}), "x") == "Sfmx-KD (τ=2)"
    assert method_name(kd(binary_kd={}, repr_kd={"start_epoch": 4}, fkl={"start_epoch": 7}), "x") == \
        "FPKD: binary KD → + factorized hidden KD (ep 4) → + FKL (ep 7)"
    assert method_name(kd(fkl={"weight": 0.5, "end_epoch": 3}, guide_ctc={"start_epoch": 4}), "x") == \
        "FKL ×0.5 (until ep 3) → + Guide-CTC (ep 4)"
    assert method_name(kd(nonsense={}), "x").startswith("kd_student (KD terms unreadable: model_conf.kd_terms: "
                                                         "unknown KD term 'nonsense'")
    # round 1's flat keys (the committed runs' config.yaml) still get their labels
    assert method_name({"model": "kd_student", "model_conf": {"sfmx_kd_weight": 1, "sfmx_kd_frames": "nonblank"}},
                       "x") == "blank-eliminated KD"
    assert method_name({"model": "self_kd", "model_conf": {"skd_layer": 3, "kd_terms": {"fkl": {}}}}, "x") == \
        "SKD (block 3 of 6, FKL)"
    assert method_name({"model": "kd_student", "model_conf": {"ctc_weight": 1.0}}, "x").startswith("KD student without")
    assert method_name({"model": "espnet"}, "my_teacher_big") == "teacher"
    assert method_name({"model": "self_kd", "model_conf": {"skd_layer": 3}}, "x") == "SKD (block 3 of 6)"


def test_method_names_say_where_a_run_started():
    teacher = "exp/teacher/valid.cer_ctc.best.pth"
    skd = {"model": "self_kd", "model_conf": {"skd_layer": 4}, "encoder_conf": {"num_blocks": 6},
           "init_param": [f"{teacher}:::repr_projections", f"{teacher}:ctc:sub_ctc"]}
    assert method_name(skd, "student_skd") == "SKD (block 4 of 6, from the teacher)"
    pruned = {"model": "espnet", "init_param": ["exp/teacher/valid.cer_ctc.best.first_4_blocks.pth"]}
    assert method_name(pruned, "student_layer_pruned") == \
        "the teacher, layer-pruned to its first 4 blocks (new CTC head, CTC fine-tuning)"
    big = {"model": "espnet", "init_param": ["exp/big/valid.loss.best.first_2_blocks.pth"]}
    assert method_name(big, "x").startswith("big, layer-pruned to its first 2 blocks")
    one = {"model": "espnet", "init_param": ["exp/teacher/valid.loss.best.first_1_blocks.pth"]}
    assert method_name(one, "x").startswith("the teacher, layer-pruned to its first block (")
