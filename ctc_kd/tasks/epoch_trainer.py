"""ESPnet's trainer never tells the model the epoch; this one does, so epoch schedules (SKD's alpha) work."""
import torch

from espnet2.train.trainer import Trainer


def _unwrapped(model: torch.nn.Module) -> torch.nn.Module:
    return getattr(model, "module", model)  # DistributedDataParallel / DataParallel wrap the model


def tell_epoch(model: torch.nn.Module, epoch: int) -> None:
    target = _unwrapped(model)
    if hasattr(target, "set_epoch"):
        target.set_epoch(epoch)


class EpochAwareTrainer(Trainer):
    """Calls `model.set_epoch(epoch)` before each training and validation pass.

    The epoch comes from the trainer's reporter, which ESPnet restores from checkpoint.pth on resume, so a
    resumed run continues the schedule where it stopped.
    """

    @classmethod
    def train_one_epoch(cls, model, iterator, optimizers, schedulers, scaler, reporter, *args, **kwargs):
        tell_epoch(model, reporter.get_epoch())
        return super().train_one_epoch(model, iterator, optimizers, schedulers, scaler, reporter, *args, **kwargs)

    @classmethod
    def validate_one_epoch(cls, model, iterator, reporter, *args, **kwargs):
        tell_epoch(model, reporter.get_epoch())
        return super().validate_one_epoch(model, iterator, reporter, *args, **kwargs)
