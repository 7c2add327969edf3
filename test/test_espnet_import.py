"""ctc_kd.espnet_import: ESPnet imported quietly, its unused text front-ends deferred until really used."""
import subprocess
import sys

PROBE = """
import sys
from ctc_kd.espnet_import import import_espnet_quietly
import_espnet_quietly()
print("loaded at import:", sorted(m for m in ("g2p_en.g2p", "inflect", "nltk", "tacotron_cleaner.numbers")
                                  if m in sys.modules and type(sys.modules[m]).__name__ != "_DeferredModule"))
from espnet2.text.cleaner import TextCleaner
print("tacotron:", TextCleaner(["tacotron"])("Mr. Smith paid $5."))
import g2p_en
print("g2p_en:", g2p_en.G2p.__module__, "inflect" in sys.modules)
"""


def test_text_front_ends_load_only_when_used():
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["loaded at import: []",
                                       "tacotron: MISTER SMITH PAID FIVE DOLLARS.",
                                       "g2p_en: g2p_en.g2p True"]
