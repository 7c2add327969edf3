"""A CTC student distilled from a frozen teacher: ESPnet's ASR model plus the KD terms of docs/kd_methods.md."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from ctc_kd import losses
from ctc_kd.cache.format import POSTERIORS, hidden_name, unpack_batch
from ctc_kd.models import kd_terms as registry
from ctc_kd.models.hidden_taps import BlockOutputTaps
from ctc_kd.models.teacher_outputs import TeacherOutputs
from ctc_kd.teacher import check_teacher_fits_student, load_teacher
from ctc_kd.models.base import DistillingASRModel

TEACHER_MODES = ("online", "cached")
MAX_FRAME_SLACK = 2  # frames ESPnet's subsampling mask may add to an utterance in a padded batch


class KDStudentModel(DistillingASRModel):
    """Loss = (hybrid) CTC + sum_k weight_k * scale * KD term_k over the terms active this epoch; frozen teacher.

    The terms come from `kd_terms` (see ctc_kd.models.kd_terms); scale puts them on CTC's scale (`kd_scale`).
    The trainer's `set_epoch` picks the terms in their epoch window; no term in it: no teacher forward at all.
    Before any `set_epoch` (a forward outside the trainer) every term is active, and a config with windows refuses.
    The teacher is held as a plain attribute, not a submodule, so it is in no state_dict (checkpoints and
    exported models hold the student only), no optimizer and no DDP bucket; `_apply` still moves it with the
    student between devices and dtypes. The learned projections of hidden-state terms are training-only; while
    their term is outside its epoch window they stay in the graph at zero weight, so DDP needs no
    `--unused_parameters`.
    """

    def __init__(
        self,
        *,
        teacher_config: Optional[str] = None,
        teacher_model_file: Optional[str] = None,
        kd_terms: Optional[dict] = None,
        kd_scale: str = "utterance",
        frame_rule: str = "argmax",
        blank_threshold: float = 0.5,
        teacher_mode: str = "online",
        **espnet_kwargs,
    ):
        flat_keys = self.pop_flat_keys("kd_student", espnet_kwargs)
        super().__init__(**espnet_kwargs)
        self.configure_kd_terms("kd_student", kd_terms, kd_scale, flat_keys)
        self.frame_options = {"blank_id": self.blank_id, "frame_rule": frame_rule, "blank_threshold": blank_threshold}
        if teacher_mode not in TEACHER_MODES:
            raise ValueError(f"teacher_mode must be one of {TEACHER_MODES}, got {teacher_mode!r}")
        self.teacher_mode = teacher_mode
        self.teacher_model_file = teacher_model_file
        object.__setattr__(self, "teacher", None)
        self._precomputed_feats = None
        self.teacher_taps = None
        self.hidden_terms = [t for t in self.kd_terms if t.term.needs == registry.HIDDEN]
        self.student_taps = BlockOutputTaps(self.encoder, [s for t in self.hidden_terms for s in t.student_layers()])
        self.distils = bool(self.kd_terms)
        if self.distils:
            teacher_width = self._attach_teacher(teacher_config, teacher_model_file)
            self._warn_time_warp()
        if self.hidden_terms:
            # ESPnet encoders keep one width through all their blocks
            widths = (self.encoder.output_size(), teacher_width)
            self.kd_projections = torch.nn.ModuleDict({
                t.name: torch.nn.ModuleList(torch.nn.Linear(*widths) for _ in t.options["layer_pairs"])
                for t in self.hidden_terms})

    def _warn_time_warp(self) -> None:
        if getattr(self.specaug, "time_warp", None) is not None and any(t.term.frame_level for t in self.kd_terms):
            logging.warning(
                "specaug_conf.apply_time_warp is on: time warp shifts the student's frames against the teacher's "
                "frame-level targets (the teacher reads the features before SpecAugment), so every frame-level KD "
                "term compares misaligned frames; set specaug_conf.apply_time_warp: false for every student of the "
                "comparison (the student alone too, so that they stay comparable)")

    # ---- the teacher -------------------------------------------------------------------------------------------
    def _attach_teacher(self, config: Optional[str], model_file: Optional[str]) -> int:
        """Load and check the teacher; keep it for online mode only. Returns its encoder width."""
        if not config or not model_file:
            raise ValueError(
                "model_conf.kd_terms has a term but model_conf.teacher_config / teacher_model_file are not set: point "
                "them at the teacher's exp/<teacher>/config.yaml and its selected checkpoint"
            )
        teacher, teacher_args = load_teacher(config, model_file)
        check_teacher_fits_student(teacher, self, config, input_size=teacher_args.get("input_size"))
        width = teacher.encoder.output_size()
        if self.teacher_mode == "cached":  # its outputs come with the batch; the cache is checked by the task
            return width
        teacher.frontend = None  # it reads the student's features, before SpecAugment
        object.__setattr__(self, "teacher", teacher)
        self.teacher_taps = BlockOutputTaps(teacher.encoder, self.cached_layers())
        return width

    def cached_layers(self) -> List[int]:
        """The teacher layers whose hidden states the cache must hold: those of any term, at any epoch."""
        return registry.teacher_layers(self.kd_terms)

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        if self.teacher is not None:
            self.teacher._apply(fn, *args, **kwargs)
        return self

    @torch.no_grad()
    def teacher_outputs(self, feats: torch.Tensor, feats_lengths: torch.Tensor,
                        layers: Sequence[int] = ()) -> TeacherOutputs:
        """The teacher's CTC logits and tapped hidden states of `layers` on the student's (pre-SpecAugment) features."""
        self.teacher.eval()
        self.teacher_taps.clear()
        # clone: GlobalMVN and SpecAugment modify features in place when no gradient flows through them
        encoder_out, encoder_out_lens = self.teacher.encode(feats.clone(), feats_lengths)
        if isinstance(encoder_out, tuple):
            encoder_out = encoder_out[0]
        hidden = {layer: self.teacher_taps.take(layer, encoder_out) for layer in layers}
        return TeacherOutputs(self.teacher.ctc.ctc_lo(encoder_out), encoder_out_lens, hidden)

    def cached_teacher_outputs(self, batch: Dict[str, torch.Tensor], layers: Sequence[int] = ()) -> TeacherOutputs:
        """The teacher's outputs as the data loader read them from the cache (see ctc_kd.cache.format)."""
        if POSTERIORS not in batch:
            raise RuntimeError(
                f"teacher_mode is 'cached' but the batch has no '{POSTERIORS}': give the trainer "
                f"--train_data_path_and_name_and_type <cache>/{POSTERIORS}.scp,{POSTERIORS},kaldi_ark (and the same "
                "for valid); stage 9 of asr_kd.sh writes the cache and stage 10 passes it"
            )
        hidden = {}
        for layer in layers:
            if hidden_name(layer) not in batch:
                raise RuntimeError(f"the batch has no '{hidden_name(layer)}': pass the cache's "
                                   f"{hidden_name(layer)}.scp as data (stage 10 of asr_kd.sh does)")
            hidden[layer] = batch[hidden_name(layer)]
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
        active = self.active_kd_terms()
        teacher = None
        if active:  # no term in its window: no teacher at all
            layers = registry.teacher_layers(active)
            if self.teacher_mode == "cached":
                teacher = self.cached_teacher_outputs(kwargs, layers)
            else:
                teacher = self.teacher_outputs(feats, feats_lengths, layers)
        self._precomputed_feats = (feats, feats_lengths)
        self.student_taps.clear()
        encoder_out, encoder_out_lens = self.encode(speech, speech_lengths)

        loss_ctc, cer_ctc = self._calc_ctc_loss(encoder_out, encoder_out_lens, text, text_lengths)
        stats: Dict[str, Optional[torch.Tensor]] = {"loss_ctc": loss_ctc.detach(), "cer_ctc": cer_ctc}
        loss = self.combine_with_attention(loss_ctc, encoder_out, encoder_out_lens, text, text_lengths, stats)
        if teacher is not None:  # added outside ctc_weight: the terms distil the CTC branch at their own weights
            loss_kd, kd_stats = self.kd_loss(encoder_out, encoder_out_lens, teacher, active)
            loss = loss + loss_kd
            stats.update(kd_stats)
        return self.gathered(loss + self._idle_projections(active), stats, speech.shape[0])

    def kd_loss(self, encoder_out, encoder_out_lens, teacher: TeacherOutputs,
                active: Optional[Sequence[registry.TermConfig]] = None):
        """sum_k weight_k * scale * term_k over the active terms, and each term as optimised for the logs."""
        active = self.active_kd_terms() if active is None else active
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
        inputs = registry.term_inputs(student_logits, teacher.buckets if cached else teacher.logits, lengths,
                                      cached=cached, **self.frame_options)

        def hidden_pairs(term: registry.TermConfig):
            return [(projection(self.student_taps.take(s, encoder_out)).float(), teacher.hidden[t].float())
                    for (s, t), projection in zip(term.options["layer_pairs"], self.kd_projections[term.name])]

        scale = registry.kd_scale_factor(self.kd_scale, lengths)
        loss_kd, stats = registry.optimised_terms(active, inputs, scale, hidden_pairs)
        stats["loss_kd"] = loss_kd.detach()
        stats.update(self._blank_ratios(student_logits, teacher, lengths))
        return loss_kd, stats

    def _idle_projections(self, active: Sequence[registry.TermConfig]):
        """0 x the projections of hidden-state terms outside their window: in the graph, so DDP finds no unused
        parameter, at no cost to the loss or the weights."""
        names = {t.name for t in active}
        idle = [p for t in self.hidden_terms if t.name not in names for p in self.kd_projections[t.name].parameters()]
        return sum(0.0 * p.sum() for p in idle) if idle else 0.0

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
    TRAINING_ONLY_PREFIXES = registry.TRAINING_ONLY_PREFIXES

    @classmethod
    def plain_model(cls, config: dict, state: dict) -> Tuple[dict, dict]:
        """The config and weights of the same student as a plain `model: espnet` ESPnet model."""
        config = cls.plain_config(config, cls.own_conf_keys())
        state = {k: v for k, v in state.items() if not k.startswith(cls.TRAINING_ONLY_PREFIXES)}
        logging.info("exported kd_student: dropped the teacher settings and the training-only projections")
        return config, state
