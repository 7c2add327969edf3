"""Kaldi-style data-dir tools (`python -m ctc_kd.data.<tool>`) and corpus preparation (`ctc_kd.data.corpora`)."""
