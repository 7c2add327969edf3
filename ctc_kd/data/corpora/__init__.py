"""One module per corpus turning its raw layout into Kaldi data dirs: `python -m ctc_kd.data.corpora.<corpus>`."""
