"""`python -m ctc_kd.bin.<tool>` entry points: training, decoding, scoring, tables, export, analysis."""
