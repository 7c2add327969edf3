"""ctc_kd.bin.asr_kd_train, after which this rank of a distributed training saves its model's parameters to
$RANK_PARAMETERS_DIR/<output dir's name>.rank<SLURM_PROCID>.pth (ESPnet saves rank 0's only), so that a test can
compare the ranks."""
import os
import sys
from pathlib import Path

import torch

from ctc_kd.bin import asr_kd_train
from ctc_kd.tasks import ASRKDTask


def main() -> None:
    run = ASRKDTask.trainer.run.__func__

    def run_and_save(cls, *args, **kwargs):
        run(cls, *args, **kwargs)
        model = kwargs["model"] if "model" in kwargs else args[0]
        training = Path(sys.argv[sys.argv.index("--output_dir") + 1]).name
        out = Path(os.environ["RANK_PARAMETERS_DIR"]) / f"{training}.rank{os.environ['SLURM_PROCID']}.pth"
        torch.save({name: value.detach().cpu() for name, value in model.state_dict().items()}, out)

    ASRKDTask.trainer.run = classmethod(run_and_save)
    asr_kd_train.main(sys.argv[1:])


if __name__ == "__main__":
    main()
