"""A CTC student distilled from a frozen teacher: ESPnet's ASR model plus the KD terms of docs/kd_methods.md."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from ctc_kd import losses
from ctc_kd.cache.format import POSTERIORS, hidden_name, unpack_batch
from ctc_kd.models.hidden_taps import ENCODER_OUTPUT, BlockOutputTaps
from ctc_kd.models.teacher_outputs import TeacherOutputs
from ctc_kd.teacher import check_teacher_fits_student, load_teacher
from ctc_kd.models.base import DistillingASRModel

KD_TERMS = ("sfmx_kd", "guide_ctc", "binary_kd", "repr_kd", "fkl")
TEACHER_MODES = ("online", "cached")
MAX_FRAME_SLACK = 2  # frames ESPnet's subsampling mask may add to an utterance in a padded batch


class KDStudentModel(DistillingASRModel):
    """Loss = (hybrid) CTC + sum_k weight_k * KD term_k; the teacher is frozen, outside the module tree.

    The teacher is held as a plain attribute, not a submodule, so it is in no state_dict (checkpoints and
    exported models hold the student only), no optimizer and no DDP bucket; `_apply` still moves it with the
    student between devices and dtypes. The learned projections of hidden-state KD are training-only.
    """

    def __init__(
        self,
        *,
        teacher_config: Optional[str] = None,
        teacher_model_file: Optional[str] = None,
        sfmx_kd_weight: float = 0.0,
        sfmx_kd_temperature: float = 1.0,
        sfmx_kd_frames: str = "all",
        guide_ctc_weight: float = 0.0,
        binary_kd_weight: float = 0.0,
        binary_kd_temperature: float = 1.0,
        repr_kd_weight: float = 0.0,
        repr_layer_pairs: Sequence[Sequence[int]] = ((ENCODER_OUTPUT, ENCODER_OUTPUT),),
        repr_nonblank_weight: float = 1.0,
        repr_blank_weight: float = 1.0,
        fkl_weight: float = 0.0,
        fkl_temperature: float = 1.0,
        fkl_variant: str = "A",
        fkl_blank_weight: float = 1.0,
        frame_rule: str = "argmax",
        blank_threshold: float = 0.5,
        teacher_mode: str = "online",
        **espnet_kwargs,
    ):
        super().__init__(**espnet_kwargs)
        self.weights = {
            "sfmx_kd": sfmx_kd_weight,
            "guide_ctc": guide_ctc_weight,
            "binary_kd": binary_kd_weight,
            "repr_kd": repr_kd_weight,
            "fkl": fkl_weight,
        }
        if any(w < 0 for w in self.weights.values()):
            raise ValueError(f"KD weights must be >= 0: {self.weights}")
        if sfmx_kd_frames not in ("all", "nonblank") or fkl_variant not in ("A", "B"):
            raise ValueError(
                f"sfmx_kd_frames must be all|nonblank and fkl_variant A|B, got {sfmx_kd_frames}, {fkl_variant}")
        self.frame_options = {"blank_id": self.blank_id, "frame_rule": frame_rule, "blank_threshold": blank_threshold}
        self.sfmx_kd_options = {"temperature": sfmx_kd_temperature, "frames": sfmx_kd_frames}
        self.binary_kd_options = {"temperature": binary_kd_temperature}
        self.fkl_options = {"temperature": fkl_temperature, "variant": fkl_variant, "blank_weight": fkl_blank_weight}
        self.repr_options = {"nonblank_weight": repr_nonblank_weight, "blank_weight": repr_blank_weight}
        self.repr_layer_pairs: List[Tuple[int, int]] = [(int(s), int(t)) for s, t in repr_layer_pairs]

        if teacher_mode not in TEACHER_MODES:
            raise ValueError(f"teacher_mode must be one of {TEACHER_MODES}, got {teacher_mode!r}")
        self.teacher_mode = teacher_mode
        self.teacher_model_file = teacher_model_file
        object.__setattr__(self, "teacher", None)
        self._precomputed_feats = None
        self.teacher_taps = None
        self.student_taps = BlockOutputTaps(self.encoder, [s for s, _ in self._active_pairs()])
        self.distils = any(w > 0 for w in self.weights.values())
        if self.distils:
            teacher_width = self._attach_teacher(teacher_config, teacher_model_file)
        if self.weights["repr_kd"] > 0:
            # ESPnet encoders keep one width through all their blocks
            widths = (self.encoder.output_size(), teacher_width)
            self.repr_projections = torch.nn.ModuleList(torch.nn.Linear(*widths) for _ in self.repr_layer_pairs)

    # ---- the teacher -------------------------------------------------------------------------------------------
    def _attach_teacher(self, config: Optional[str], model_file: Optional[str]) -> int:
        """Load and check the teacher; keep it for online mode only. Returns its encoder width."""
        if not config or not model_file:
            raise ValueError(
                "a KD weight is > 0 but model_conf.teacher_config / teacher_model_file are not set: point them "
                "at the teacher's exp/<teacher>/config.yaml and its selected checkpoint"
            )
        teacher, teacher_args = load_teacher(config, model_file)
        check_teacher_fits_student(teacher, self, config, input_size=teacher_args.get("input_size"))
        width = teacher.encoder.output_size()
        if self.teacher_mode == "cached":  # its outputs come with the batch; the cache is checked by the task
            return width
        teacher.frontend = None  # it reads the student's features, before SpecAugment
        object.__setattr__(self, "teacher", teacher)
        self.teacher_taps = BlockOutputTaps(teacher.encoder, [t for _, t in self._active_pairs()])
        return width

    def cached_layers(self) -> List[int]:
        """The teacher layers whose hidden states the cache must hold."""
        return sorted({t for _, t in self._active_pairs()})

    def _active_pairs(self) -> List[Tuple[int, int]]:
        return self.repr_layer_pairs if self.weights["repr_kd"] > 0 else []

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        if self.teacher is not None:
            self.teacher._apply(fn, *args, **kwargs)
        return self

    @torch.no_grad()
    def teacher_outputs(self, feats: torch.Tensor, feats_lengths: torch.Tensor) -> TeacherOutputs:
        """The teacher's CTC logits and tapped hidden states on the student's (pre-SpecAugment) features."""
        self.teacher.eval()
        self.teacher_taps.clear()
        # clone: GlobalMVN and SpecAugment modify features in place when no gradient flows through them
        encoder_out, encoder_out_lens = self.teacher.encode(feats.clone(), feats_lengths)
        if isinstance(encoder_out, tuple):
            encoder_out = encoder_out[0]
        hidden = [self.teacher_taps.take(t, encoder_out) for _, t in self._active_pairs()]
        return TeacherOutputs(self.teacher.ctc.ctc_lo(encoder_out), encoder_out_lens, hidden)

    def cached_teacher_outputs(self, batch: Dict[str, torch.Tensor]) -> TeacherOutputs:
        """The teacher's outputs as the data loader read them from the cache (see ctc_kd.cache.format)."""
        if POSTERIORS not in batch:
            raise RuntimeError(
                f"teacher_mode is 'cached' but the batch has no '{POSTERIORS}': give the trainer "
                f"--train_data_path_and_name_and_type <cache>/{POSTERIORS}.scp,{POSTERIORS},kaldi_ark (and the same "
                "for valid); stage 9 of asr_kd.sh writes the cache and stage 10 passes it"
            )
        hidden = []
        for _, layer in self._active_pairs():
            if hidden_name(layer) not in batch:
                raise RuntimeError(f"the batch has no '{hidden_name(layer)}': pass the cache's "
                                   f"{hidden_name(layer)}.scp as data (stage 10 of asr_kd.sh does)")
            hidden.append(batch[hidden_name(layer)])
        return TeacherOutputs(logits=None, lengths=batch[f"{POSTERIORS}_lengths"], hidden=hidden,
                              buckets=unpack_batch(batch[POSTERIORS], len(self.token_list)))

    # ---- forward -----------------------------------------------------------------------------------------------
    def _extract_feats(self, speech: torch.Tensor, speech_lengths: torch.Tensor):
        """Hands `encode` the features `forward` already extracted for the teacher, instead of recomputing them."""
        if self._precomputed_feats is not None:
            feats, self._precomputed_feats = self._precomputed_feats, None
            return feats
        return super()._extract_feats(speech, speech_lengths)

    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        **kwargs,
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        text = self.prepare_text(text, text_lengths)
        feats, feats_lengths = super()._extract_feats(speech, speech_lengths)
        teacher = None
        if self.distils:
            if self.teacher_mode == "cached":
                teacher = self.cached_teacher_outputs(kwargs)
            else:
                teacher = self.teacher_outputs(feats, feats_lengths)
        self._precomputed_feats = (feats, feats_lengths)
        self.student_taps.clear()
        encoder_out, encoder_out_lens = self.encode(speech, speech_lengths)

        loss_ctc, cer_ctc = self._calc_ctc_loss(encoder_out, encoder_out_lens, text, text_lengths)
        stats: Dict[str, Optional[torch.Tensor]] = {"loss_ctc": loss_ctc.detach(), "cer_ctc": cer_ctc}
        loss = self.combine_with_attention(loss_ctc, encoder_out, encoder_out_lens, text, text_lengths, stats)
        if teacher is not None:  # added outside ctc_weight: the terms distil the CTC branch at their own weights
            loss_kd, kd_stats = self.kd_loss(encoder_out, encoder_out_lens, teacher)
            loss = loss + loss_kd
            stats.update(kd_stats)
        return self.gathered(loss, stats, speech.shape[0])

    def kd_loss(self, encoder_out, encoder_out_lens, teacher: TeacherOutputs):
        """The weighted sum of the active KD terms, and every term (weighted or not) for the logs."""
        lengths = encoder_out_lens
        if teacher.buckets is not None:
            teacher, lengths = self._align_cache(teacher, encoder_out_lens, encoder_out.shape[1])
        elif teacher.lengths.shape != encoder_out_lens.shape or not torch.equal(
            teacher.lengths.to(encoder_out_lens.device), encoder_out_lens
        ):
            raise RuntimeError(
                f"teacher frames {teacher.lengths.tolist()} != student frames {encoder_out_lens.tolist()}")
        student_logits = self.ctc.ctc_lo(encoder_out)
        cached = teacher.buckets is not None
        blank = losses.bucketed.BLANK_BUCKET if cached else self.blank_id
        prepared: Dict[float, losses.posterior.Posteriors] = {}

        def posteriors(temperature: float) -> losses.posterior.Posteriors:
            if temperature not in prepared:
                prepare = losses.prepare_bucketed_posteriors if cached else losses.posterior.prepare_posteriors
                prepared[temperature] = prepare(student_logits, teacher.buckets if cached else teacher.logits,
                                                lengths, temperature=temperature, **self.frame_options)
            return prepared[temperature]

        terms = {}
        if self.weights["sfmx_kd"] > 0:
            post = posteriors(self.sfmx_kd_options["temperature"])
            terms["sfmx_kd"] = losses.posterior.sfmx_kd_from_logprobs(
                post.student, post.teacher, post.valid, post.sets, **self.sfmx_kd_options)
        if self.weights["guide_ctc"] > 0:
            post = posteriors(1.0)
            terms["guide_ctc"] = losses.bucketed.guide_ctc_bucketed(post) if cached else \
                losses.posterior.guide_ctc_from_logprobs(post.student, post.teacher, post.sets, blank_id=blank)
        if self.weights["binary_kd"] > 0:
            post = posteriors(self.binary_kd_options["temperature"])
            terms["binary_kd"] = losses.posterior.binary_kd_from_logprobs(
                post.student, post.teacher, post.valid, blank_id=blank, **self.binary_kd_options)
        if self.weights["fkl"] > 0:
            post = posteriors(self.fkl_options["temperature"])
            terms["fkl"] = losses.posterior.fkl_from_logprobs(
                post.student, post.teacher, post.valid, post.sets, blank_id=blank, **self.fkl_options)
        if self.weights["repr_kd"] > 0:
            sets = posteriors(1.0).sets
            repr_terms = [
                losses.hidden.factorized_repr_kd_from_sets(
                    projection(self.student_taps.take(s, encoder_out)).float(), hidden.float(), sets,
                    **self.repr_options)
                for (s, _), projection, hidden in zip(self.repr_layer_pairs, self.repr_projections, teacher.hidden)
            ]
            terms["repr_kd"] = torch.stack(repr_terms).mean()
        loss_kd = sum(self.weights[name] * value for name, value in terms.items())
        stats = {f"loss_{name}": value.detach() for name, value in terms.items()}
        stats["loss_kd"] = loss_kd.detach()
        stats.update(self._blank_ratios(student_logits, teacher, lengths))
        return loss_kd, stats

    @staticmethod
    def _align_cache(teacher: TeacherOutputs, student_lengths: torch.Tensor, frames: int):
        """Cached frames vs the student's: distil the frames both have.

        ESPnet's subsampling mask gives an utterance in a padded batch up to 2 frames more than it has alone (see
        ctc_kd.inference.padding_mask); the cache was computed alone, so those extra frames get no KD term.
        """
        cache_lengths = teacher.lengths.to(student_lengths.device)
        if (cache_lengths - student_lengths).abs().max() > MAX_FRAME_SLACK:
            raise RuntimeError(
                f"cached teacher frames {cache_lengths.tolist()} != student frames {student_lengths.tolist()}: the "
                "teacher-output cache was made from other audio or at another frame rate; re-run stage 9"
            )
        return teacher.fitted_to(frames), torch.minimum(cache_lengths, student_lengths)

    @torch.no_grad()
    def _blank_ratios(self, student_logits, teacher: TeacherOutputs, lengths) -> Dict[str, torch.Tensor]:
        valid = losses.valid_mask(lengths, student_logits.size(1))
        count = valid.sum().clamp(min=1)
        return {
            "teacher_blank_ratio": (teacher.argmax_is_blank(self.blank_id) & valid).sum() / count,
            "student_blank_ratio": ((student_logits.argmax(-1) == self.blank_id) & valid).sum() / count,
        }

    # ---- export ------------------------------------------------------------------------------------------------
    TRAINING_ONLY_PREFIXES = ("repr_projections.",)

    @classmethod
    def plain_model(cls, config: dict, state: dict) -> Tuple[dict, dict]:
        """The config and weights of the same student as a plain `model: espnet` ESPnet model."""
        config = cls.plain_config(config, cls.own_conf_keys())
        state = {k: v for k, v in state.items() if not k.startswith(cls.TRAINING_ONLY_PREFIXES)}
        logging.info("exported kd_student: dropped the teacher settings and the training-only projections")
        return config, state
