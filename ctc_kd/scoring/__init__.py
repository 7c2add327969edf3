"""Scoring recognition output against references (CER/WER/TER) with an sclite-like report, without sclite.

The alignment is a Levenshtein alignment: the fewest errors S+D+I (so `err` equals the edit distance); among
alignments with that many errors the one with fewest substitutions is taken, as sclite's weights (sub 4, ins/del 3)
would prefer.
"""
