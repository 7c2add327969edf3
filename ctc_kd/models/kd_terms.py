"""The one place that knows the KD terms: each term's name, options, needs, RESULTS.md label and function.

A term is a function `(inputs: TermInputs, options: dict) -> scalar tensor` returning the per-frame mean of
SPEC-kd-methods.md (the losses package's contract), registered with `@register_kd_term`. Configs name the terms in
`model_conf.kd_terms` (see `parse_kd_terms`); the models weigh and scale them with `optimised_terms`; the results
table, experiment_info, the cache's layer choice and the cached-mode checks ask this module, and nothing else knows
a term's option names. Terms defined outside ctc_kd reach the trainer through `kd_term_plugins` (`import_plugins`).
"""
import copy
import importlib
import logging
import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import torch

from ctc_kd import losses

POSTERIORS = "posteriors"  # the teacher's CTC posteriors: online logits or the cache's buckets
HIDDEN = "hidden"  # also the teacher's hidden states of the term's `layer_pairs`, through learned projections
NEEDS = (POSTERIORS, HIDDEN)
SCALES = ("utterance", "frame")  # CTC's scale (per utterance summed over frames) | the bare per-frame mean
WINDOW = {"weight": 1.0, "start_epoch": 1, "end_epoch": None}  # keys every term takes besides its own options
FPKD = ("binary_kd", "repr_kd", "fkl")  # FPKD's terms in the order its stages add them
CONF_KEY = "model_conf.kd_terms"
DEFAULT_LAYER_PAIRS = ((-1, -1),)  # a hidden-state term's default [student block, teacher block]: the encoder outputs
PROJECTIONS = "kd_projections."  # state-dict prefix of the hidden-state terms' learned projections
ROUND1_PROJECTIONS = "repr_projections."  # the same projections in round 1's checkpoints
TRAINING_ONLY_PREFIXES = (PROJECTIONS, ROUND1_PROJECTIONS)  # dropped on export and from a child's init_param
DEFAULT_SKD_LAYER = 6  # SKD's student: the encoder's first 6 blocks, when model_conf.skd_layer does not say


@dataclass(frozen=True)
class TermInputs:
    """What a term function gets for one batch."""

    posteriors: Callable[[float], Any]  # temperature -> losses.posterior.Posteriors (log-probs, valid, frame sets)
    blank: int  # blank's index on the posteriors' last axis (the blank bucket when the teacher is cached)
    cached: bool  # the teacher's posteriors are the cache's top-k buckets
    hidden_pairs: Sequence[Tuple[torch.Tensor, torch.Tensor]] = ()  # (projected student, teacher) per layer pair


@dataclass(frozen=True)
class KDTerm:
    """A registered term: its function and what the configs, the model and the results table need to know of it."""

    name: str
    function: Callable[[TermInputs, dict], torch.Tensor]
    label: Callable[[dict], str]
    needs: str
    options: Dict[str, Any]
    check: Optional[Callable[[dict], None]]
    self_kd: bool  # usable as SKD's frame term (the full model's head is the teacher)
    frame_level: bool  # compares student and teacher frame by frame (SpecAugment's time warp misaligns it)


@dataclass(frozen=True)
class TermConfig:
    """One configured term: the registered term, its weight, its epoch window and its options."""

    term: KDTerm
    weight: float
    start_epoch: int
    end_epoch: Optional[int]
    options: Dict[str, Any]

    @property
    def name(self) -> str:
        return self.term.name

    @property
    def windowed(self) -> bool:
        return self.start_epoch > 1 or self.end_epoch is not None

    def active_at(self, epoch: int) -> bool:
        return self.start_epoch <= epoch and (self.end_epoch is None or epoch <= self.end_epoch)

    def teacher_layers(self) -> List[int]:
        return sorted({int(t) for _, t in self.options["layer_pairs"]}) if self.term.needs == HIDDEN else []

    def student_layers(self) -> List[int]:
        return sorted({int(s) for s, _ in self.options["layer_pairs"]}) if self.term.needs == HIDDEN else []


_REGISTRY: Dict[str, KDTerm] = {}


def register_kd_term(name: str, *, label: Union[str, Callable[[dict], str]], needs: str = POSTERIORS,
                     options: Optional[Mapping[str, Any]] = None, check: Optional[Callable[[dict], None]] = None,
                     self_kd: bool = True, frame_level: bool = True):
    """Decorator: register `function(inputs, options) -> per-frame-mean scalar` as the KD term `name`."""
    options = dict(options or {})
    if needs not in NEEDS:
        raise ValueError(f"KD term {name!r}: needs must be one of {NEEDS}, got {needs!r}")
    reserved = sorted(set(options) & set(WINDOW))
    if reserved:
        raise ValueError(f"KD term {name!r}: options {reserved} are reserved for every term ({sorted(WINDOW)})")
    if needs == HIDDEN:
        options.setdefault("layer_pairs", [list(pair) for pair in DEFAULT_LAYER_PAIRS])

    def register(function):
        known = _REGISTRY.get(name)
        if known is not None and (known.function.__module__, known.function.__qualname__) != (
                function.__module__, function.__qualname__):
            raise ValueError(f"KD term {name!r} is already registered by {known.function.__module__}; "
                             "pick another name")
        _REGISTRY[name] = KDTerm(name=name, function=function, label=label if callable(label) else (lambda _: label),
                                 needs=needs, options=options, check=check, self_kd=self_kd, frame_level=frame_level)
        return function

    return register


def get_term(name: str) -> KDTerm:
    if name not in _REGISTRY:
        raise ValueError(f"{CONF_KEY}: unknown KD term {name!r}; the registered terms are {term_names()}")
    return _REGISTRY[name]


def term_names() -> List[str]:
    return list(_REGISTRY)


def import_plugins(modules: Optional[Iterable[str]]) -> None:
    """Import the modules of `kd_term_plugins`, whose `@register_kd_term` functions then join the registry."""
    for module in modules or ():
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise ValueError(f"kd_term_plugins: cannot import {module!r} ({error}): put its directory on PYTHONPATH"
                             ) from error


# ---- configs -------------------------------------------------------------------------------------------------------
def parse_kd_terms(mapping: Optional[Mapping[str, Any]], *, model: str = "kd_student") -> List[TermConfig]:
    """`model_conf.kd_terms` -> the configured terms (weight 0: left out), with every key checked."""
    if mapping is None:
        return []
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{CONF_KEY} must be a mapping of term name -> options, e.g. {{fkl: {{weight: 1.0}}}}, "
                         f"got {mapping!r}")
    parsed = []
    for name, given in mapping.items():
        term = get_term(name)
        where = f"{CONF_KEY}.{name}"
        if model == "self_kd" and not term.self_kd:
            raise ValueError(f"{where}: {name} cannot be SKD's frame term (self_kd has no separate teacher); use one "
                             f"of {[n for n, t in _REGISTRY.items() if t.self_kd]}")
        given = dict(given or {})
        unknown = sorted(set(given) - set(WINDOW) - set(term.options))
        if unknown:
            allowed = sorted(WINDOW) + sorted(term.options)
            raise ValueError(f"{where}: unknown option(s) {unknown}; {name} takes {allowed}")
        settings = {**WINDOW, **copy.deepcopy(term.options), **given}  # a config never edits the defaults
        weight, start, end = settings.pop("weight"), settings.pop("start_epoch"), settings.pop("end_epoch")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
            raise ValueError(f"{where}.weight must be a finite number >= 0, got {weight!r}")
        if isinstance(start, bool) or not isinstance(start, int) or start < 1:
            raise ValueError(f"{where}.start_epoch must be an integer >= 1 (the first epoch is 1), got {start!r}")
        if end is not None and (isinstance(end, bool) or not isinstance(end, int) or end < start):
            raise ValueError(f"{where}.end_epoch must be null (to the end) or an integer >= start_epoch, got {end!r}")
        if term.check is not None:
            try:
                term.check(settings)
            except ValueError as error:
                raise ValueError(f"{where}: {error}") from error
        if weight > 0:
            parsed.append(TermConfig(term, float(weight), start, end, settings))
    order = term_names()  # registration order, whatever order the YAML (which ESPnet writes sorted) gives
    return sorted(parsed, key=lambda t: order.index(t.name))


def check_scale(kd_scale: str) -> str:
    if kd_scale not in SCALES:
        raise ValueError(f"model_conf.kd_scale must be one of {SCALES}, got {kd_scale!r}")
    return kd_scale


def active_terms(terms: Sequence[TermConfig], epoch: Optional[int]) -> List[TermConfig]:
    """The terms whose epoch window holds `epoch`; without an epoch (no trainer), all of them unless any is windowed."""
    if epoch is None:
        windowed = [t.name for t in terms if t.windowed]
        if windowed:
            raise RuntimeError(f"the KD terms {windowed} have epoch windows, which follow the trainer's epoch: train "
                               "with python -m ctc_kd.bin.asr_kd_train (or call model.set_epoch(epoch))")
        return list(terms)
    return [t for t in terms if t.active_at(epoch)]


def skd_layer(model_conf: Optional[Mapping]) -> int:
    """SKD's student depth: model_conf.skd_layer, the first 6 encoder blocks when the config does not say."""
    return int((model_conf or {}).get("skd_layer", DEFAULT_SKD_LAYER))


def projection_prefix(name: str) -> str:
    """The state-dict prefix of the learned projections of hidden-state term `name` (KDStudentModel.kd_projections)."""
    return f"{PROJECTIONS}{name}."


def hidden_term_names() -> List[str]:
    """The registered terms with learned projections (what a child of another config may lack)."""
    return [name for name, term in _REGISTRY.items() if term.needs == HIDDEN]


def teacher_layers(terms: Sequence[TermConfig]) -> List[int]:
    """The teacher layers whose hidden states the terms distil, at any epoch (what the cache must hold)."""
    return sorted({layer for t in terms for layer in t.teacher_layers()})


# ---- the flat keys of round 1 ----------------------------------------------------------------------------------------
FLAT_KEYS = {
    "kd_student": {
        "sfmx_kd_weight": ("sfmx_kd", "weight"), "sfmx_kd_temperature": ("sfmx_kd", "temperature"),
        "sfmx_kd_frames": ("sfmx_kd", "frames"), "guide_ctc_weight": ("guide_ctc", "weight"),
        "binary_kd_weight": ("binary_kd", "weight"), "binary_kd_temperature": ("binary_kd", "temperature"),
        "repr_kd_weight": ("repr_kd", "weight"), "repr_layer_pairs": ("repr_kd", "layer_pairs"),
        "repr_nonblank_weight": ("repr_kd", "nonblank_weight"), "repr_blank_weight": ("repr_kd", "blank_weight"),
        "fkl_weight": ("fkl", "weight"), "fkl_temperature": ("fkl", "temperature"), "fkl_variant": ("fkl", "variant"),
        "fkl_blank_weight": ("fkl", "blank_weight"),
    },
    "self_kd": {"skd_weight": ("sfmx_kd", "weight"), "skd_temperature": ("sfmx_kd", "temperature"),
                "skd_frames": ("sfmx_kd", "frames")},
}
DEFAULT_TERMS = {"kd_student": {}, "self_kd": {"sfmx_kd": {"weight": 1.0}}}  # self_kd: the SPEC's skd_kl


def kd_terms_of(model_conf: Mapping[str, Any], model: str, warn: bool = True) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(`kd_terms` mapping, model_conf without round 1's flat keys), the flat keys translated (with a warning)."""
    flat_keys = FLAT_KEYS.get(model, {})
    flat = {k: v for k, v in model_conf.items() if k in flat_keys}
    rest = {k: v for k, v in model_conf.items() if k not in flat_keys}
    if not flat:
        terms = rest.get("kd_terms")
        return (DEFAULT_TERMS.get(model, {}) if terms is None else terms), rest
    if rest.get("kd_terms") is not None:
        raise ValueError(f"model_conf has both kd_terms and the old flat keys {sorted(flat)}: move them into kd_terms")
    terms: Dict[str, Dict[str, Any]] = {}
    if model == "self_kd":
        terms["sfmx_kd"] = {"weight": 1.0}  # round 1's self_kd always had its KL, at skd_weight 1.0 by default
    for key, value in flat.items():
        name, option = flat_keys[key]
        terms.setdefault(name, {"weight": 0.0})[option] = value
    terms = {name: options for name, options in terms.items() if float(options.get("weight") or 0.0) > 0}
    log = logging.warning if warn else logging.debug
    log("model_conf keys %s are round 1's flat form; read as kd_terms: %s (write that instead: %s)",
                    sorted(flat), terms, ", ".join(f"{k} -> kd_terms.{'.'.join(flat_keys[k])}" for k in sorted(flat)))
    rest["kd_terms"] = terms
    return terms, rest


def config_terms(config: Mapping[str, Any], warn: bool = True) -> List[TermConfig]:
    """The KD terms of a whole training config (config.yaml of a run), flat keys translated, plugins imported."""
    model = config.get("model") or "espnet"
    if model not in DEFAULT_TERMS:
        return []
    import_plugins(config.get("kd_term_plugins"))
    mapping, _ = kd_terms_of(config.get("model_conf") or {}, model, warn)
    return parse_kd_terms(mapping, model=model)


# ---- the loss ------------------------------------------------------------------------------------------------------
def term_inputs(student_logits: torch.Tensor, teacher, lengths: torch.Tensor, *, cached: bool, blank_id: int,
                frame_rule: str = "argmax", blank_threshold: float = 0.5) -> TermInputs:
    """The posteriors of student and teacher (logits, or the cache's buckets), prepared once per temperature."""
    prepared: Dict[float, Any] = {}
    prepare = losses.prepare_bucketed_posteriors if cached else losses.posterior.prepare_posteriors

    def posteriors(temperature: float):
        if temperature not in prepared:
            prepared[temperature] = prepare(student_logits, teacher, lengths, temperature=temperature,
                                            blank_id=blank_id, frame_rule=frame_rule, blank_threshold=blank_threshold)
        return prepared[temperature]

    return TermInputs(posteriors=posteriors, blank=losses.bucketed.BLANK_BUCKET if cached else blank_id, cached=cached)


def kd_scale_factor(kd_scale: str, lengths: torch.Tensor) -> torch.Tensor:
    """`utterance`: valid KD frames per utterance of the batch (CTC's scale, see the SPEC); `frame`: 1."""
    if kd_scale == "frame":
        return torch.ones((), device=lengths.device)
    return lengths.sum().float() / max(len(lengths), 1)


def optimised_terms(terms: Sequence[TermConfig], inputs: TermInputs, scale: torch.Tensor,
                    hidden_pairs: Callable[[TermConfig], Sequence] = lambda term: ()):
    """sum_k weight_k * scale * term_k, and the stats `loss_<term>` of each as optimised."""
    total = torch.zeros((), device=scale.device)
    stats = {}
    for term in terms:
        term_input = replace(inputs, hidden_pairs=hidden_pairs(term)) if term.term.needs == HIDDEN else inputs
        value = term.weight * scale * term.term.function(term_input, term.options)
        stats[f"loss_{term.name}"] = value.detach()
        total = total + value
    return total, stats


# ---- labels for RESULTS.md -------------------------------------------------------------------------------------------
def _with_weight(term: TermConfig) -> str:
    label = term.term.label(term.options)
    label = label if term.weight == 1.0 else f"{label} ×{term.weight:g}"
    return label if term.end_epoch is None else f"{label} (until ep {term.end_epoch})"


def method_label(terms: Sequence[TermConfig]) -> str:
    """The Method cell of a kd_student: its terms, FPKD's stages named, later-starting terms with their epoch."""
    if not terms:
        return "KD student without KD terms (CTC only)"
    names = [t.name for t in terms]
    if not any(t.windowed for t in terms):
        for stage in (1, 2, 3):
            if names == list(FPKD[:stage]):
                return f"FPKD stage {stage} ({terms_text(terms)})"
    return ("FPKD: " if sorted(names) == sorted(FPKD) else "") + terms_text(terms)


def terms_text(terms: Sequence[TermConfig]) -> str:
    """The terms' labels joined by +, and by → where later terms enter (with their first epoch)."""
    starts = sorted({t.start_epoch for t in terms})
    steps = []
    for start in starts:
        group = " + ".join(_with_weight(t) for t in terms if t.start_epoch == start)
        steps.append(group if start == starts[0] else f"+ {group} (ep {start})")
    return " → ".join(steps)


def frame_term_label(terms: Sequence[TermConfig]) -> str:
    """What SKD's label adds for its frame term: nothing for the SPEC's KL, else how it differs."""
    if len(terms) == 1 and terms[0].name == "sfmx_kd" and not terms[0].windowed:
        options = terms[0].options
        extra = ", blank-masked" if options["frames"] == "nonblank" else ""
        return extra + (f", τ={float(options['temperature']):g}" if float(options["temperature"]) != 1.0 else "")
    return ", " + terms_text(terms) if terms else ", no frame term"


# ---- the terms -----------------------------------------------------------------------------------------------------
def _temperature_shown(options: dict) -> str:
    return "" if float(options["temperature"]) == 1.0 else f" (τ={float(options['temperature']):g})"


def _check_temperature(options: dict) -> None:
    losses.frames.check_temperature(options["temperature"])


def _check_sfmx(options: dict) -> None:
    _check_temperature(options)
    losses.frames.check_choice(options["frames"], "frames", losses.posterior.FRAMES)


def _check_fkl(options: dict) -> None:
    _check_temperature(options)
    losses.frames.check_choice(options["variant"], "variant", ("A", "B"))
    if options["variant"] == "B" and float(options["blank_weight"]) != 1.0:
        raise ValueError("blank_weight only applies to variant A")


def _check_layer_pairs(options: dict) -> None:
    pairs = options["layer_pairs"]
    if not isinstance(pairs, (list, tuple)) or not pairs or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(x, int) for x in p) for p in pairs):
        raise ValueError(f"layer_pairs must be a list of [student block, teacher block] pairs (-1: encoder output), "
                         f"got {pairs!r}")


@register_kd_term("sfmx_kd", options={"temperature": 1.0, "frames": "all"}, check=_check_sfmx,
                  label=lambda o: ("blank-eliminated KD" if o["frames"] == "nonblank" else "Sfmx-KD")
                  + _temperature_shown(o))
def sfmx_kd(inputs: TermInputs, options: dict) -> torch.Tensor:
    post = inputs.posteriors(options["temperature"])
    return losses.posterior.sfmx_kd_from_logprobs(post.student, post.teacher, post.valid, post.sets, **options)


@register_kd_term("guide_ctc", label="Guide-CTC")
def guide_ctc(inputs: TermInputs, options: dict) -> torch.Tensor:
    post = inputs.posteriors(1.0)
    if inputs.cached:
        return losses.bucketed.guide_ctc_bucketed(post)
    return losses.posterior.guide_ctc_from_logprobs(post.student, post.teacher, post.sets, blank_id=inputs.blank)


@register_kd_term("binary_kd", options={"temperature": 1.0}, check=_check_temperature,
                  label=lambda o: "binary KD" + _temperature_shown(o))
def binary_kd(inputs: TermInputs, options: dict) -> torch.Tensor:
    post = inputs.posteriors(options["temperature"])
    return losses.posterior.binary_kd_from_logprobs(post.student, post.teacher, post.valid, blank_id=inputs.blank,
                                                    **options)


@register_kd_term("repr_kd", needs=HIDDEN, options={"nonblank_weight": 1.0, "blank_weight": 1.0},
                  check=_check_layer_pairs, self_kd=False, label="factorized hidden KD")
def repr_kd(inputs: TermInputs, options: dict) -> torch.Tensor:
    sets = inputs.posteriors(1.0).sets
    return torch.stack([
        losses.hidden.factorized_repr_kd_from_sets(student, teacher, sets, nonblank_weight=options["nonblank_weight"],
                                                   blank_weight=options["blank_weight"])
        for student, teacher in inputs.hidden_pairs
    ]).mean()


@register_kd_term("fkl", options={"temperature": 1.0, "variant": "A", "blank_weight": 1.0}, check=_check_fkl,
                  label=lambda o: ("FKL" if o["variant"] == "A" else f"FKL (variant {o['variant']})")
                  + _temperature_shown(o))
def fkl(inputs: TermInputs, options: dict) -> torch.Tensor:
    post = inputs.posteriors(options["temperature"])
    return losses.posterior.fkl_from_logprobs(post.student, post.teacher, post.valid, post.sets, blank_id=inputs.blank,
                                              **options)
