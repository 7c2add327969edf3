"""What the KD student and the SKD model share on top of ESPnet's ASR model: hybrid loss, stats, own options."""
import inspect
import logging
from typing import Dict, List, Optional, Tuple

import torch

from ctc_kd.espnet_import import import_espnet_quietly

import_espnet_quietly()

from espnet2.asr.espnet_model import ESPnetASRModel  # noqa: E402
from espnet2.torch_utils.device_funcs import force_gatherable  # noqa: E402

from ctc_kd.models import kd_terms  # noqa: E402


class DistillingASRModel(ESPnetASRModel):
    """An ESPnet ASR model whose CTC branch gets an extra training signal; built by ESPnet with keyword arguments."""

    def __init__(self, **espnet_kwargs):
        super().__init__(**espnet_kwargs)
        if self.ctc is None or self.use_transducer_decoder or self.interctc_weight != 0.0:
            raise ValueError(
                f"{type(self).__name__} distils the CTC branch: it needs ctc_weight > 0, no transducer decoder "
                "and interctc_weight 0"
            )

    @classmethod
    def own_conf_keys(cls) -> List[str]:
        """The model_conf keys this class adds to ESPnet's: dropped when the model is exported as plain ESPnet."""
        keys = []
        for klass in cls.__mro__:
            if klass is ESPnetASRModel:
                break
            parameters = inspect.signature(klass.__init__).parameters.values()
            keys += [p.name for p in parameters if p.kind == p.KEYWORD_ONLY]
        return keys + [key for flat in kd_terms.FLAT_KEYS.values() for key in flat]

    # ---- KD terms (see ctc_kd.models.kd_terms) -----------------------------------------------------------------------
    @staticmethod
    def pop_flat_keys(model: str, espnet_kwargs: dict) -> dict:
        """Round 1's flat KD keys (e.g. fkl_weight), taken out of the keyword arguments meant for ESPnet."""
        return {key: espnet_kwargs.pop(key) for key in list(espnet_kwargs) if key in kd_terms.FLAT_KEYS[model]}

    def configure_kd_terms(self, model: str, terms: Optional[dict], kd_scale: str, flat: dict) -> None:
        """Read `kd_terms` (or round 1's flat keys, translated with a warning) and `kd_scale`."""
        mapping, _ = kd_terms.kd_terms_of({**flat, "kd_terms": terms}, model)
        self.kd_terms = kd_terms.parse_kd_terms(mapping, model=model)
        self.kd_scale = kd_terms.check_scale(kd_scale)
        self.epoch: Optional[int] = None
        self._announced: Optional[List[str]] = None

    def set_epoch(self, epoch: int) -> None:
        """The trainer's epoch (every rank; restored on resume); logs the KD terms whenever the active set changes."""
        self.epoch = epoch
        active = [t.name for t in self.active_kd_terms()]
        if active != self._announced:
            before = self._announced or []
            entered, left = [n for n in active if n not in before], [n for n in before if n not in active]
            changes = "; ".join(f"{what}: {', '.join(names)}" for what, names in (("entered", entered), ("left", left))
                                if names)
            logging.info(f"epoch {epoch}: KD terms active: {', '.join(active) or 'none'}"
                         + (f" ({changes})" if changes else ""))
            self._announced = active

    def active_kd_terms(self) -> List["kd_terms.TermConfig"]:
        return kd_terms.active_terms(self.kd_terms, self.epoch)

    def prepare_text(self, text: torch.Tensor, text_lengths: torch.Tensor) -> torch.Tensor:
        text[text == -1] = self.ignore_id
        return text[:, : text_lengths.max()]

    def combine_with_attention(
        self, loss_ctc_side, encoder_out, encoder_out_lens, text, text_lengths, stats: Dict
    ) -> torch.Tensor:
        """CTC-only: the CTC-side loss; hybrid: ctc_weight * CTC side + (1 - ctc_weight) * attention loss."""
        if self.ctc_weight == 1.0:
            return loss_ctc_side
        loss_att, acc_att, cer_att, wer_att = self._calc_att_loss(encoder_out, encoder_out_lens, text, text_lengths)
        stats.update(loss_att=loss_att.detach(), acc=acc_att, cer=cer_att, wer=wer_att)
        return self.ctc_weight * loss_ctc_side + (1 - self.ctc_weight) * loss_att

    @staticmethod
    def gathered(loss: torch.Tensor, stats: Dict[str, Optional[torch.Tensor]], batch_size: int) -> Tuple:
        stats["loss"] = loss.detach()
        return force_gatherable((loss, stats, batch_size), loss.device)

    @staticmethod
    def plain_config(config: dict, drop_keys: List[str]) -> dict:
        config = dict(config, model="espnet")
        config["model_conf"] = {k: v for k, v in (config.get("model_conf") or {}).items() if k not in drop_keys}
        return config
