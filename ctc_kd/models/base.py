"""What the KD student and the SKD model share on top of ESPnet's ASR model: hybrid loss, stats, own options."""
import inspect
from typing import Dict, List, Optional, Tuple

import torch

from espnet2.asr.espnet_model import ESPnetASRModel
from espnet2.torch_utils.device_funcs import force_gatherable


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
        return keys

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
