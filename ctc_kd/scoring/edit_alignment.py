"""The minimum-edit alignment of a reference and a hypothesis, the pairs every count and report is made from."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

# One aligned pair: op is C (correct), S (substitution), D (deletion: ref only), I (insertion: hyp only).
Op = Tuple[str, Optional[str], Optional[str]]


def align(ref: Sequence[str], hyp: Sequence[str]) -> List[Op]:
    """Minimum-edit alignment of two token sequences (fewest errors, then fewest substitutions)."""
    n, m = len(ref), len(hyp)
    if n == 0 or m == 0:
        return [("D", r, None) for r in ref] + [("I", None, h) for h in hyp]
    vocab: Dict[str, int] = {}
    r = np.array([vocab.setdefault(t, len(vocab)) for t in ref], dtype=np.int64)
    h = np.array([vocab.setdefault(t, len(vocab)) for t in hyp], dtype=np.int64)
    k = n + m + 1  # cost of one error; a substitution costs k + 1, so total = k * errors + substitutions
    cols = np.arange(m + 1, dtype=np.int64) * k
    dist = np.empty((n + 1, m + 1), dtype=np.int64)
    dist[0] = cols
    for i in range(1, n + 1):
        prev = dist[i - 1]
        row = np.empty(m + 1, dtype=np.int64)
        row[0] = prev[0] + k
        row[1:] = np.minimum(prev[:-1] + np.where(h == r[i - 1], 0, k + 1), prev[1:] + k)
        # insertions within the row: row[j] = min_{l <= j} row[l] + (j - l) * k
        dist[i] = np.minimum.accumulate(row - cols) + cols
    ops: List[Op] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            same = r[i - 1] == h[j - 1]
            if dist[i, j] == dist[i - 1, j - 1] + (0 if same else k + 1):
                ops.append(("C" if same else "S", ref[i - 1], hyp[j - 1]))
                i, j = i - 1, j - 1
                continue
        if i > 0 and dist[i, j] == dist[i - 1, j] + k:
            ops.append(("D", ref[i - 1], None))
            i -= 1
        else:
            ops.append(("I", None, hyp[j - 1]))
            j -= 1
    ops.reverse()
    return ops
