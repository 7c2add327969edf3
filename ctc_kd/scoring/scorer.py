"""Score hypotheses against references, as texts or as Kaldi text files (writing result.txt and score.json)."""
import logging
from pathlib import Path
from typing import Mapping, Optional, Sequence

from ctc_kd.data.datadir import DataDirError, read_kv
from ctc_kd.scoring.counts import UttScore
from ctc_kd.scoring.edit_alignment import align
from ctc_kd.scoring.result import REPORT, ScoreResult
from ctc_kd.scoring.units import ERROR_NAME, make_tokenizer

log = logging.getLogger(__name__)


def score_texts(
    refs: Mapping[str, str],
    hyps: Mapping[str, str],
    unit: str = "word",
    *,
    remove_space: bool = False,
    ignore_case: bool = False,
    bpe_model: Optional[str] = None,
    token_list: Optional[Sequence[str]] = None,
    utt2spk: Optional[Mapping[str, str]] = None,
) -> ScoreResult:
    """Score hypothesis transcripts against references (both utt -> text).

    A reference without hypothesis counts as all deletions (warned); a hypothesis without reference is an error.
    """
    unknown = sorted(set(hyps).difference(refs))
    if unknown:
        raise DataDirError(
            f"{len(unknown)} hypotheses have no reference (e.g. {', '.join(unknown[:3])}); score against the "
            f"reference text of the set that was decoded"
        )
    if not refs:
        raise DataDirError("no reference transcripts to score against")
    missing = sorted(set(refs).difference(hyps))
    if missing:
        log.warning("%d of %d utterances have no hypothesis (e.g. %s); counted as all deletions", len(missing),
                    len(refs), ", ".join(missing[:3]))
    tokenize = make_tokenizer(unit, remove_space, ignore_case, bpe_model, token_list)
    utts = {}
    for utt in sorted(refs):
        spk = utt2spk.get(utt, "all") if utt2spk is not None else "all"
        utts[utt] = UttScore(utt, spk, align(tokenize(refs[utt]), tokenize(hyps.get(utt, ""))))
    return ScoreResult(unit, utts, missing)


def score_files(ref: str, hyp: str, unit: str, out_dir: str, utt2spk: Optional[str] = None,
                remove_space: bool = False, ignore_case: bool = False, bpe_model: Optional[str] = None,
                token_list: Optional[str] = None) -> ScoreResult:
    """Score Kaldi text files and write OUT_DIR/result.txt and score.json."""
    refs, hyps = read_kv(ref), read_kv(hyp)
    unknown = sorted(set(hyps).difference(refs))
    if unknown:
        raise DataDirError(
            f"{hyp}: {len(unknown)} utterances are not in {ref} (e.g. {', '.join(unknown[:3])}); score against the "
            f"reference text of the set that was decoded"
        )
    if utt2spk is None and (Path(ref).parent / "utt2spk").is_file():
        utt2spk = str(Path(ref).parent / "utt2spk")
        log.info("speakers from %s", utt2spk)
    spk = read_kv(utt2spk) if utt2spk is not None else None
    tokens = None
    if token_list is not None:
        with open(token_list, encoding="utf-8") as f:
            tokens = [line.split()[0] for line in f if line.strip()]
    result = score_texts(refs, hyps, unit, remove_space=remove_space, ignore_case=ignore_case, bpe_model=bpe_model,
                         token_list=tokens, utt2spk=spk)
    title = f"{ERROR_NAME[unit]} of {hyp} against {ref}"
    result.write(Path(out_dir), title)
    t = result.total
    log.info("%s %.2f%% [%d / %d: %d sub, %d del, %d ins] on %d sentences (S.Err %.1f%%) -> %s", ERROR_NAME[unit],
             result.err, t.err, t.wrd, t.sub, t.dele, t.ins, t.snt, t.rate(t.serr, True), Path(out_dir) / REPORT)
    return result
