"""The corpus configs as one table: corpus facts x systems, so a change across corpora is one edit here.

`make_configs.py` renders every (corpus, system) pair into egs2/<corpus>/asr1/conf/train_<system>.yaml. Text in the
header paragraphs is formatted with the corpus's facts and the system's epoch split ({epochs}, {stage1}, ...);
a "\n" in a paragraph is a line break kept as written, the rest is wrapped at 118 columns.
"""

# Where the sizes come from, what the models have; one entry per corpus recipe that owns its conf/ (librispeech_100
# links to librispeech's).
CORPORA = {
    "aishell": {
        "teacher_name": "AISHELL-1",
        "teacher_units": "characters (about 4,200)",
        "params": {"conformer": "12.5", "ebf": "12.6", "hybrid": "17.8", "skd": "22.0", "teacher": "26.8",
                   "teacher_hybrid": "38.4"},
        "sizes": "Sizes: ESPnet egs2/aishell/asr1: its CTC conformer (README 'Conformer: CTC',"
                 " train_asr_ctc_conformer_e15_linear1024, 26.76 M parameters) trained with the settings of its CTC"
                 " configs\n(conf/tuning/train_asr_ctc_e_branchformer_e12.yaml): batch_bins 25 M, adam lr 0.001,"
                 " warmup 35k steps, 60 epochs, 10 time masks, ESPnet's default frontend (n_fft 512, hop 128).",
        "frontend_conf": {"n_fft": 512, "hop_length": 128, "n_mels": 80},
        "num_time_mask": 10,
        "lr": 0.001,
        "warmup_steps": 35000,
        "batch_bins": 25000000,
        "accum_grad": 1,
        "max_epoch": 60,
        "criterion": "cer_ctc",
    },
    "tedlium2": {
        "teacher_name": "TED-LIUM 2",
        "teacher_units": "500 BPE pieces",
        "params": {"conformer": "11.5", "ebf": "11.7", "hybrid": "14.9", "skd": "21.0", "teacher": "25.8",
                   "teacher_hybrid": "35.5"},
        "sizes": "Sizes: ESPnet egs2/tedlium2/asr1/conf/tuning/train_asr_ctc_conformer_e15_linear1024.yaml (trained"
                 " on 2 x A40 48 GB): batch_bins 50 M, adam lr 0.002, warmup 15k steps, 50 epochs, 5 time masks,"
                 " n_fft 512 / win 400 / hop 160.",
        "frontend_conf": {"n_fft": 512, "win_length": 400, "hop_length": 160, "n_mels": 80},
        "num_time_mask": 5,
        "lr": 0.002,
        "warmup_steps": 15000,
        "batch_bins": 50000000,
        "accum_grad": 1,
        "max_epoch": 50,
        "criterion": "cer_ctc",
    },
    "librispeech": {
        "teacher_name": "LibriSpeech (shared by librispeech and librispeech_100)",
        "teacher_units": "5000 BPE pieces",
        "params": {"conformer": "12.7", "ebf": "12.8", "hybrid": "18.4", "skd": "22.2", "teacher": "27.0",
                   "teacher_hybrid": "39.0"},
        "sizes": "Sizes: ESPnet"
                 " egs2/librispeech_100/asr1/conf/tuning/train_asr_conformer_lr2e-3_warmup15k_amp_nondeterministic.yaml"
                 " (one V100 32 GB): batch_bins 16 M x accum_grad 4, adam lr 0.002, warmup 15k steps, 70 epochs,"
                 " 5 time masks, n_fft 512 / win 400 / hop 160; 15 blocks as ESPnet's CTC conformers"
                 " (e15_linear1024).",
        "frontend_conf": {"n_fft": 512, "win_length": 400, "hop_length": 160, "n_mels": 80},
        "num_time_mask": 5,
        "lr": 0.002,
        "warmup_steps": 15000,
        "batch_bins": 16000000,
        "accum_grad": 4,
        "max_epoch": 70,
        "criterion": "cer_ctc",
    },
}

# The models: what the header says of them, and their encoder / decoder.
STUDENT = "Student: conformer CTC, 6 blocks of width 256 ({params[conformer]} M parameters), the teacher's features" \
          " and frame rate."
EBF_STUDENT = "Cross-topology student: E-Branchformer CTC, 5 blocks of width 256 ({params[ebf]} M parameters)," \
              " distilled from the conformer teacher (same features, 4x subsampling, token list)."
HYBRID_STUDENT = "Student: conformer, 6 blocks of width 256, + transformer decoder of 3 blocks ({params[hybrid]} M" \
                 " parameters); ctc_weight 0.3, selected on valid acc like ESPnet's hybrid models."
CHAINED = "Chained form: each stage is its own training; ESPnet's init_param loads the parent stage's weights only," \
          " so\nevery stage restarts Adam and the learning-rate warm-up."
CHAINED_FPKD = CHAINED + " train_student_fpkd.yaml is FPKD in one training."
SKD = "SKD: one conformer of 12 blocks of width 256; its first 6 blocks with their own CTC head are the student" \
      " (exported alone: the shape of the other students, {params[skd]} M parameters in training). alpha 0.3 -> 0.7" \
      " over epochs {skd_ramp_start}-{skd_ramp_end}, lambda 1."

CONFORMER = {"blocks": 6}
EBF = {"encoder": "e_branchformer", "blocks": 5}
HYBRID = {"hybrid": True, "decoder_units": 1024, "decoder_blocks": 3}
TEACHER = {"teacher": True, "blocks": 15}

ENCODER_OUTPUTS = [[-1, -1]]  # layer_pairs of FPKD's hidden-state KD: the student's and the teacher's encoder outputs

# FPKD's stages: the terms each stage adds, and the header of each stage (the epochs of the split filled in).
FPKD_TERMS = [
    {"binary_kd": {"weight": 1.0}},
    {"repr_kd": {"weight": 1.0, "layer_pairs": ENCODER_OUTPUTS}},
    {"fkl": {"weight": 1.0, "variant": "A"}},
]
FPKD_STAGE = {
    1: "{name}FPKD stage 1: CTC + 1.0 * binary blank/non-blank KD. {stage1} epochs; stages 2 and 3 add {stage2} each,"
       " so FPKD trains the same {epochs} epochs as every other student.{hybrid_note}",
    2: "{name}FPKD stage 2, initialised from stage 1 (asr_kd.sh --init_chain{chain}: + 1.0 * factorized hidden-state"
       " KD between the encoder outputs (learned 256 -> 256 projection, not exported). {stage2} epochs.{hybrid_note}",
    3: "{name}FPKD stage 3, initialised from stage 2: + 1.0 * factorized KL (variant A). {stage3} epochs.{hybrid_note}",
}


def fpkd_stage(stage, model, student, chained, name="", chain="", hybrid_note=""):
    """The system of one chained FPKD stage: the terms of stages 1..stage, trained for that stage's epochs."""
    terms = {}
    for added in FPKD_TERMS[:stage]:
        terms.update(added)
    header = FPKD_STAGE[stage].format_map(_Keep(name=name, chain=chain, hybrid_note=hybrid_note))
    return {**model, "header": [header, student, "{sizes}", chained], "kd_terms": terms, "epochs": f"stage{stage}"}


class _Keep(dict):
    """format_map's mapping that leaves the corpus's fields for later."""

    def __missing__(self, key):
        return "{" + key + "}"


HYBRID_NOTE = " The KD terms act on the CTC branch."

SYSTEMS = {
    "teacher": {
        **TEACHER,
        "header": ["{teacher_name} teacher: conformer CTC, 15 blocks of width 256 ({params[teacher]} M parameters),"
                   " {teacher_units}.", "{sizes}"],
    },
    "teacher_hybrid": {
        **TEACHER, "hybrid": True, "decoder_units": 2048, "decoder_blocks": 6,
        "header": ["{teacher_name} hybrid CTC/attention teacher: the CTC teacher's encoder + a transformer decoder of"
                   " 6 blocks ({params[teacher_hybrid]} M parameters); ctc_weight 0.3 and selection on valid acc as"
                   " ESPnet's hybrid conformers. The hybrid KD students (train_student_hybrid_*) distil its CTC"
                   " branch.", "{sizes}"],
    },
    "student_alone": {
        **CONFORMER,
        "header": ["Student trained alone: the baseline every KD row is compared with.", STUDENT, "{sizes}"],
    },
    "student_sfmx_kd": {
        **CONFORMER, "kd_terms": {"sfmx_kd": {"weight": 1.0, "temperature": 1.0}},
        "header": ["Sfmx-KD: CTC + 1.0 * tau^2 KL(teacher || student) on every valid frame (tau = 1).", STUDENT,
                   "{sizes}"],
    },
    "student_blank_elim_kd": {
        **CONFORMER, "kd_terms": {"sfmx_kd": {"weight": 1.0, "frames": "nonblank"}},
        "header": ["Blank-eliminated KD: Sfmx-KD on the teacher's non-blank frames only.", STUDENT, "{sizes}"],
    },
    "student_guide_ctc": {
        **CONFORMER, "kd_terms": {"guide_ctc": {"weight": 1.0}},
        "header": ["Guide-CTC: CTC + 1.0 * cross-entropy to the teacher's spike token on its non-blank frames.",
                   STUDENT, "{sizes}"],
    },
    "student_fpkd": {
        **CONFORMER,
        "kd_terms": {
            "binary_kd": {"weight": 1.0},
            "repr_kd": {"weight": 1.0, "start_epoch": "{stage2_start}", "layer_pairs": ENCODER_OUTPUTS},
            "fkl": {"weight": 1.0, "start_epoch": "{stage3_start}", "variant": "A"},
        },
        "header": ["FPKD in one training: CTC + binary blank/non-blank KD from epoch 1, + factorized hidden-state KD"
                   " from epoch\n{stage2_start}, + factorized KL (variant A) from epoch {stage3_start}; {epochs}"
                   " epochs, the chained stages' {stage1} + {stage2} + {stage3}, with one\noptimiser and one"
                   " learning-rate schedule (the chained train_student_fpkd_stage*.yaml restart both per stage).",
                   STUDENT, "{sizes}"],
    },
    **{f"student_fpkd_stage{s}": fpkd_stage(s, CONFORMER, STUDENT, CHAINED_FPKD, chain=")" if s == 2 else "")
       for s in (1, 2, 3)},
    "student_ebf_alone": {
        **EBF,
        "header": ["E-Branchformer student trained alone: the baseline of the cross-topology pair.", EBF_STUDENT,
                   "{sizes}"],
    },
    **{f"student_ebf_fpkd_stage{s}": fpkd_stage(
        s, EBF, EBF_STUDENT, CHAINED, name="Cross-topology ",
        chain=" student_ebf_fpkd_stage2:student_ebf_fpkd_stage1)" if s == 2 else "") for s in (1, 2, 3)},
    "student_hybrid_alone": {
        **CONFORMER, **HYBRID,
        "header": ["Hybrid student trained alone (teacher: train_teacher_hybrid.yaml).", HYBRID_STUDENT, "{sizes}"],
    },
    **{f"student_hybrid_fpkd_stage{s}": fpkd_stage(
        s, {**CONFORMER, **HYBRID}, HYBRID_STUDENT, CHAINED, name="Hybrid ", hybrid_note=HYBRID_NOTE,
        chain=" student_hybrid_fpkd_stage2:student_hybrid_fpkd_stage1)" if s == 2 else "") for s in (1, 2, 3)},
    "student_skd": {
        "skd": True, "blocks": 12, "kd_terms": {"sfmx_kd": {"weight": 1.0, "frames": "all"}},
        "header": [SKD, "{sizes}"],
    },
    "student_skd_blank_masked": {
        "skd": True, "blocks": 12, "kd_terms": {"sfmx_kd": {"weight": 1.0, "frames": "nonblank"}},
        "header": [SKD, "Ablation: blank frames masked out of the self-KD term.", "{sizes}"],
    },
}
