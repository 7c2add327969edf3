"""Knowledge distillation of CTC speech recognisers, as plugins for ESPnet."""

__version__ = "0.1.0"
