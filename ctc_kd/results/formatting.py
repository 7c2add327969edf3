"""How the results table writes numbers: h:mm:ss, one decimal, and n/a for what is missing."""

NA = "n/a"


def format_seconds(seconds: float) -> str:
    """h:mm:ss."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def one_decimal(x: float) -> str:
    """One decimal, without a negative zero."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text
