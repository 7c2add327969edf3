"""Import ESPnet without its import-time side effects (an NLTK download attempt, a Flash Attention notice)."""
import contextlib
import importlib
import io


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


def import_espnet_quietly() -> None:
    """Import the ESPnet modules we build on once, with their import-time chatter suppressed."""
    with _nltk_downloads_disabled():
        # Only this module prints at import; a wider redirect would also capture ESPnet's `file=sys.stdout`
        # default arguments, which are bound at import time.
        with contextlib.redirect_stdout(io.StringIO()):
            importlib.import_module("espnet.nets.pytorch_backend.transformer.attention")
        try:
            importlib.import_module("g2p_en")
        except ImportError:
            pass  # optional: only phoneme tokenizers need it
        importlib.import_module("espnet2.tasks.asr")
