"""Train ESPnet ASR models, including ctc_kd's KD students and self-KD models (every asr_train option)."""
from ctc_kd.tasks import ASRKDTask


def get_parser():
    return ASRKDTask.get_parser()


def main(cmd=None):
    r"""ASR training with knowledge distillation.

    Example:
        % python -m ctc_kd.bin.asr_kd_train --print_config --model kd_student --optim adadelta
        % python -m ctc_kd.bin.asr_kd_train --config conf/train_student_fpkd1.yaml
    """
    ASRKDTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
