"""ESPnet's ASR task with ctc_kd's models registered, the epoch-aware trainer, and the teacher-output cache as data."""
import argparse
import logging
from pathlib import Path
from typing import Tuple

from ctc_kd.cache.format import HIDDEN_PREFIX, POSTERIORS, data_names as cache_data_names
from ctc_kd.cache.meta import CacheMismatchError, check_cache_matches, file_sha256, read_meta
from ctc_kd.models import MODELS, kd_terms
from ctc_kd.tasks.epoch_trainer import EpochAwareTrainer
from espnet2.tasks import asr as espnet_asr

def register_models() -> None:
    """Add our models to `--model` of espnet2's ASR task (idempotent)."""
    for name, model_class in MODELS.items():
        espnet_asr.model_choices.classes.setdefault(name, model_class)


register_models()


class ASRKDTask(espnet_asr.ASRTask):
    """Everything of `espnet2.tasks.asr.ASRTask` (options, data, DDP), plus `--model kd_student|self_kd`."""

    trainer = EpochAwareTrainer

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        return super().optional_data_names(train, inference) + cache_data_names()

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser) -> None:
        super().add_task_arguments(parser)
        parser.add_argument_group("KD terms").add_argument(
            "--kd_term_plugins", type=str, nargs="*", default=[],
            help="modules to import before the model is built, whose @register_kd_term functions (see "
                 "ctc_kd.models.kd_terms) become terms of model_conf.kd_terms; their directory must be on PYTHONPATH")

    @classmethod
    def build_model(cls, args: argparse.Namespace):
        kd_terms.import_plugins(getattr(args, "kd_term_plugins", None))
        model = super().build_model(args)
        if getattr(model, "teacher_mode", None) == "cached" and model.distils:
            check_cached_data(model, args)
        return model


def check_cached_data(model, args: argparse.Namespace) -> None:
    """Refuse, before the first step, a cache of another teacher or token list, or one lacking utterances."""
    teacher_sha256 = file_sha256(model.teacher_model_file)  # once for both phases: checkpoints can be large
    for phase in ("train", "valid"):
        entries = getattr(args, f"{phase}_data_path_and_name_and_type", None) or []
        by_name = {name: path for path, name, _ in entries}
        if POSTERIORS not in by_name:
            raise CacheMismatchError(
                f"teacher_mode is 'cached' but no {phase} data is named '{POSTERIORS}': add "
                f"--{phase}_data_path_and_name_and_type <cache>/{POSTERIORS}.scp,{POSTERIORS},kaldi_ark "
                "(stage 9 of asr_kd.sh writes the cache, stage 10 passes it)")
        cache_dir = Path(by_name[POSTERIORS]).parent
        meta = read_meta(cache_dir)
        check_cache_matches(meta, cache_dir, teacher_model_file=model.teacher_model_file,
                            token_list=model.token_list, hidden_layers=model.cached_layers(),
                            teacher_sha256=teacher_sha256)
        cached = _scp_keys(Path(by_name[POSTERIORS]))
        for name, path in by_name.items():
            if name == POSTERIORS or name.startswith(HIDDEN_PREFIX):
                continue
            missing = sorted(_scp_keys(Path(path)) - cached)
            if missing:
                raise CacheMismatchError(
                    f"the teacher-output cache {cache_dir} lacks {len(missing)} utterances of {path} (e.g. "
                    f"{', '.join(missing[:3])}): it was made for another data set ({meta.data_dir}); re-run stage 9")
        logging.info(f"{phase}: teacher outputs from the cache {cache_dir} (top-{meta.topk}, "
                     f"{meta.num_utterances} utterances)")


def _scp_keys(path: Path) -> set:
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    with path.open(encoding="utf-8") as f:
        return {line.split(maxsplit=1)[0] for line in f if line.strip()}
