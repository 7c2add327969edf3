"""A recipe's results: its exp/ folder read run by run, averaged over seeds, written as RESULTS.md and results.json."""
