"""Decoding data dirs with a trained model into hypotheses, decode_info.json and the real-time factor."""
