"""Imports in ctc_kd run one way, from a higher layer to a lower one, so each layer can change without its users'; and
no entry point in bin/ imports another.

Every `import` of the package is read with `ast`, the lazy ones inside functions too. A module may import its own
layer or any lower one; importing a module also runs its packages' `__init__`, so those count as imported too.
"""
import ast
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ctc_kd"

# Lowest first. A module's layer is that of the longest name below that prefixes it ("ctc_kd" only itself).
LAYERS: List[Tuple[str, ...]] = [
    # the package's own docstring and version; the loss functions; plots and spike statistics; Kaldi-style data
    # directories; importing ESPnet without its NLTK download; telling whole torch files and zips from cut ones; the
    # tools' log format and clean exits; the exp/ folder's layout, records and configs; scoring texts; a job's shard
    # of a data set and the check before shards merge
    ("ctc_kd", "ctc_kd.losses", "ctc_kd.analysis", "ctc_kd.data", "ctc_kd.espnet_import", "ctc_kd.complete_files",
     "ctc_kd.cli", "ctc_kd.experiment", "ctc_kd.scoring", "ctc_kd.shards"),
    # the frozen teacher; the teacher-output cache's on-disk form (format and metadata), read by the models
    ("ctc_kd.teacher", "ctc_kd.cache", "ctc_kd.cache.format", "ctc_kd.cache.meta"),
    # the ESPnet models that train students, and the KD-term registry
    ("ctc_kd.models",),
    # what uses a model or its KD terms: student initialisation, writing the cache and choosing its layers, greedy
    # decoding, decoding data dirs, the spike-timing comparison
    ("ctc_kd.init", "ctc_kd.cache.writer", "ctc_kd.cache.layers", "ctc_kd.inference", "ctc_kd.decoding",
     "ctc_kd.alignment"),
    # the ESPnet task that builds a model from a config
    ("ctc_kd.tasks",),
    # what reads a recipe's finished runs: the results table
    ("ctc_kd.results",),
    # the command-line tools the recipes call
    ("ctc_kd.bin",),
]


def layer_of(module: str) -> int:
    """The layer of `module`: that of the longest listed name it starts with."""
    best, best_len = None, -1
    for level, names in enumerate(LAYERS):
        for name in names:
            prefixes = module.startswith(name + ".") and name != PACKAGE.name  # the root names only itself
            if (module == name or prefixes) and len(name) > best_len:
                best, best_len = level, len(name)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")
    return best


def module_name(path: Path) -> str:
    """The dotted name of a file of the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def with_parents(module: str) -> List[str]:
    """`module` and the packages whose `__init__` importing it runs."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def is_module(name: str) -> bool:
    """Whether `name` is a module or package of ctc_kd (and not a name defined in one)."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or path.is_dir()


def imported_modules(source: str, own_package: str) -> Iterator[Tuple[int, str]]:
    """(line, module) for every ctc_kd module `source` imports, `from ctc_kd import x` resolved to `ctc_kd.x`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = own_package.split(".")[: len(own_package.split(".")) - node.level + 1] if node.level else []
            base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names if is_module(f"{base}.{alias.name}")]
        else:
            continue
        for target in targets:
            if target == "ctc_kd" or target.startswith("ctc_kd."):
                for module in with_parents(target):
                    yield node.lineno, module


def upward_imports(source: str, own: str, is_package: bool) -> List[str]:
    """The imports of module `own` (text `source`) that go to a higher layer."""
    own_package = own if is_package else own.rpartition(".")[0]
    found = [
        f"line {line} imports {target} (layer {layer_of(target)}) from layer {layer_of(own)}"
        for line, target in imported_modules(source, own_package)
        if target not in with_parents(own) and layer_of(target) > layer_of(own)
    ]
    return list(dict.fromkeys(found))


def test_layers_name_each_prefix_once():
    names = [name for names in LAYERS for name in names]
    assert len(names) == len(set(names))


def test_a_lazy_upward_import_is_found():
    source = "import torch\n\ndef f():\n    from ctc_kd import tasks\n    from .kd_terms import spec\n"
    assert upward_imports(source, "ctc_kd.models.export", is_package=False) == [
        "line 4 imports ctc_kd.tasks (layer 4) from layer 2"
    ]
    assert upward_imports("from ..models import kd_terms\n", "ctc_kd.losses.frames", is_package=False) == [
        "line 1 imports ctc_kd.models (layer 2) from layer 0",
        "line 1 imports ctc_kd.models.kd_terms (layer 2) from layer 0",
    ]


def test_a_module_outside_the_layers_is_an_error():
    with pytest.raises(AssertionError, match="ctc_kd.new_layer is in no layer"):
        layer_of("ctc_kd.new_layer")


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_the_layers(path):
    upward = upward_imports(path.read_text(), module_name(path), is_package=path.name == "__init__.py")
    assert not upward, f"{path}: move the shared piece down to the lower layer:\n" + "\n".join(upward)


@pytest.mark.parametrize("path", sorted((PACKAGE / "bin").glob("*.py")), ids=lambda p: p.name)
def test_an_entry_point_imports_no_other_entry_point(path):
    """bin/ holds thin entry points: what two of them share lives in a library module below."""
    own = module_name(path)
    others = sorted({target for line, target in imported_modules(path.read_text(), "ctc_kd.bin")
                     if target.startswith("ctc_kd.bin.") and target != own})
    assert not others, f"{path} imports {', '.join(others)}: move the shared piece into a library module"
