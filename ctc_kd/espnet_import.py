"""Import ESPnet without its import-time side effects (an NLTK download attempt, a Flash Attention notice) and
without the start-up cost of the text front-ends (g2p_en, tacotron_cleaner) no recipe here uses."""
import contextlib
import importlib
import importlib.util
import io
import sys
import types


@contextlib.contextmanager
def _nltk_downloads_disabled():
    """g2p_en calls nltk.download() at import when its data is absent; offline that waits and prints errors."""
    try:
        import nltk
    except ImportError:
        yield
        return
    original = nltk.download
    nltk.download = lambda *args, **kwargs: False
    try:
        yield
    finally:
        nltk.download = original


# ESPnet imports these for every ASR task, at a fifth of a training's start-up (nltk, inflect), for phoneme
# tokenizers and English text cleaners no recipe here uses: module -> the submodules ESPnet imports by name.
DEFERRED = {"g2p_en": (), "tacotron_cleaner": ("tacotron_cleaner.cleaners",)}


class _DeferredModule(types.ModuleType):
    """Stands in sys.modules for a module that is imported for real, quietly, at the first use of one of its names."""

    def __getattr__(self, name):
        if name.startswith("__"):  # the import machinery and module scanners ask for dunders: not a use
            raise AttributeError(name)
        top = self.__name__.split(".")[0]
        for stand_in in (top, *DEFERRED[top]):
            if isinstance(sys.modules.get(stand_in), _DeferredModule):
                del sys.modules[stand_in]
        with _nltk_downloads_disabled():
            real = importlib.import_module(self.__name__)
            if not hasattr(real, name) and importlib.util.find_spec(f"{self.__name__}.{name}") is not None:
                importlib.import_module(f"{self.__name__}.{name}")
        self.__dict__.update(real.__dict__)
        return getattr(real, name)


def _defer_unused_imports() -> None:
    """Put stand-ins for DEFERRED in sys.modules, so that importing them costs nothing until one is really used."""
    for top, submodules in DEFERRED.items():
        spec = None if top in sys.modules else importlib.util.find_spec(top)  # top-level: imports nothing
        if spec is None:
            continue  # imported already, or not installed (only phoneme tokenizers and cleaners need them)
        package = _DeferredModule(top)
        package.__spec__, package.__file__ = spec, spec.origin
        if spec.submodule_search_locations is not None:
            package.__path__ = list(spec.submodule_search_locations)
        sys.modules[top] = package
        for name in submodules:
            sys.modules[name] = _DeferredModule(name)  # no spec: finding one would import the package


def import_espnet_quietly() -> None:
    """Import the ESPnet modules we build on once, with their import-time chatter suppressed."""
    # Only this module prints at import; a wider redirect would also capture ESPnet's `file=sys.stdout` default
    # arguments, which are bound at import time.
    with contextlib.redirect_stdout(io.StringIO()):
        importlib.import_module("espnet.nets.pytorch_backend.transformer.attention")
    _defer_unused_imports()
    if not isinstance(sys.modules.get("g2p_en"), _DeferredModule):  # not deferred: import it now, quietly
        with _nltk_downloads_disabled():
            try:
                importlib.import_module("g2p_en")
            except ImportError:
                pass  # optional: only phoneme tokenizers need it
    importlib.import_module("espnet2.tasks.asr")
