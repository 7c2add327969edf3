"""Frame-level self-KD (SKD): the first l encoder blocks, with their own CTC head, learn from the full model."""
import copy
import logging
from typing import Dict, Optional, Tuple

import torch

from ctc_kd import losses
from ctc_kd.models import kd_terms as registry
from ctc_kd.models.hidden_taps import BlockOutputTaps
from ctc_kd.models.base import DistillingASRModel


class SelfKDModel(DistillingASRModel):
    """Loss = (1 - alpha) CTC(full) + alpha [CTC(sub) + sum_k w_k s term_k(sub, sg(full))], alpha = skd_alpha(epoch).

    The frame terms come from `kd_terms` (ctc_kd.models.kd_terms; default: sfmx_kd, the SPEC's skd_kl), put on
    CTC's scale by `kd_scale` as the KD student's are.

    The sub-model is blocks 1..l of the encoder followed by the encoder's own final normalisation and the
    sub-head `sub_ctc`, so exporting it as a plain ESPnet model of l blocks reproduces it exactly. The trainer
    tells the model the epoch (`set_epoch`, see ctc_kd.tasks.epoch_trainer); resume restores it with the
    trainer's reporter state.
    """

    def __init__(
        self,
        *,
        skd_layer: int = registry.DEFAULT_SKD_LAYER,
        kd_terms: Optional[dict] = None,
        kd_scale: str = "utterance",
        alpha_start: float = 0.3,
        alpha_end: float = 0.7,
        alpha_ramp_start: float = 1,
        alpha_ramp_end: float = 10,
        **espnet_kwargs,
    ):
        flat_keys = self.pop_flat_keys("self_kd", espnet_kwargs)
        super().__init__(**espnet_kwargs)
        self.configure_kd_terms("self_kd", kd_terms, kd_scale, flat_keys)
        if self.postencoder is not None:
            raise ValueError("self_kd taps encoder blocks directly: a postencoder is not supported")
        num_blocks = len(self.encoder.encoders)
        if not 1 <= skd_layer < num_blocks:
            raise ValueError(f"skd_layer must be in [1, {num_blocks - 1}] for an encoder of {num_blocks} blocks")
        self.skd_layer = skd_layer
        self.alpha_options = {
            "alpha_start": alpha_start,
            "alpha_end": alpha_end,
            "ramp_start": alpha_ramp_start,
            "ramp_end": alpha_ramp_end,
        }
        losses.skd_alpha(alpha_ramp_start, **self.alpha_options)  # validates the schedule now, not at epoch 1
        self.sub_ctc = copy.deepcopy(self.ctc)
        self.sub_ctc.ctc_lo.reset_parameters()
        self.taps = BlockOutputTaps(self.encoder, [skd_layer])

    def alpha(self) -> float:
        if self.epoch is None:
            raise RuntimeError(
                "self_kd's weight follows the epoch, which only ctc_kd's trainer tells it: train with "
                "python -m ctc_kd.bin.asr_kd_train (or call model.set_epoch(epoch))"
            )
        return losses.skd_alpha(self.epoch, **self.alpha_options)

    def sub_encoder_output(self, encoder_out: torch.Tensor) -> torch.Tensor:
        """Block l's output through the encoder's final normalisation: what an l-block encoder would emit."""
        hidden = self.taps.take(self.skd_layer, encoder_out)
        if getattr(self.encoder, "normalize_before", True) and hasattr(self.encoder, "after_norm"):
            hidden = self.encoder.after_norm(hidden)
        return hidden

    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        **kwargs,
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        text = self.prepare_text(text, text_lengths)
        alpha = self.alpha()

        self.taps.clear()
        encoder_out, encoder_out_lens = self.encode(speech, speech_lengths)
        sub_out = self.sub_encoder_output(encoder_out)

        loss_full, cer_full = self._calc_ctc_loss(encoder_out, encoder_out_lens, text, text_lengths)
        loss_sub = self.sub_ctc(sub_out, encoder_out_lens, text, text_lengths)
        full_logits = self.ctc.ctc_lo(encoder_out).detach()  # stop-gradient: the full model is the teacher
        loss_skd, term_stats = self.frame_terms(self.sub_ctc.ctc_lo(sub_out), full_logits, encoder_out_lens)
        loss_ctc_side = (1 - alpha) * loss_full + alpha * (loss_sub + loss_skd)

        stats: Dict[str, Optional[torch.Tensor]] = {
            "loss_ctc": loss_full.detach(),
            "loss_ctc_sub": loss_sub.detach(),
            "loss_skd": loss_skd.detach(),
            **term_stats,
            "alpha": torch.tensor(alpha),
            "cer_ctc": cer_full,
            "cer_ctc_sub": self._sub_cer(sub_out, text),
        }
        loss = self.combine_with_attention(loss_ctc_side, encoder_out, encoder_out_lens, text, text_lengths, stats)
        return self.gathered(loss, stats, speech.shape[0])

    def frame_terms(self, sub_logits: torch.Tensor, full_logits: torch.Tensor, lengths: torch.Tensor):
        """sum_k weight_k * scale * term_k(sub, full) over the active frame terms, and each as optimised."""
        inputs = registry.term_inputs(sub_logits, full_logits, lengths, cached=False, blank_id=self.blank_id)
        scale = registry.kd_scale_factor(self.kd_scale, lengths)
        return registry.optimised_terms(self.active_kd_terms(), inputs, scale)

    def _sub_cer(self, sub_out: torch.Tensor, text: torch.Tensor) -> Optional[float]:
        if self.training or self.error_calculator is None:
            return None
        hyps = self.sub_ctc.argmax(sub_out).data
        return self.error_calculator(hyps.cpu(), text.cpu(), is_ctc=True)

    # ---- export ------------------------------------------------------------------------------------------------
    @classmethod
    def plain_model(cls, config: dict, state: dict, submodel: bool = True) -> Tuple[dict, dict]:
        """The sub-model (l blocks + sub-head, CTC only) or the full model, as a plain ESPnet model."""
        model_conf = dict(config.get("model_conf") or {})
        layer = registry.skd_layer(model_conf)
        config = cls.plain_config(config, cls.own_conf_keys())
        if not submodel:
            return config, {k: v for k, v in state.items() if not k.startswith("sub_ctc.")}
        config["encoder_conf"] = dict(config.get("encoder_conf") or {}, num_blocks=layer)
        # the decoder learnt from the full encoder's output: the exported sub-model is CTC only
        config["model_conf"]["ctc_weight"] = 1.0
        config["decoder"], config["decoder_conf"] = None, {}
        kept = {}
        for key, value in state.items():
            if key.startswith(("ctc.", "decoder.")):
                continue
            if key.startswith("encoder.encoders."):
                if int(key.split(".")[2]) >= layer:
                    continue
            if key.startswith("sub_ctc."):
                key = key[len("sub_") :]
            kept[key] = value
        logging.info(f"exported self_kd sub-model: encoder blocks 1..{layer} and the sub-head as its CTC")
        return config, kept
