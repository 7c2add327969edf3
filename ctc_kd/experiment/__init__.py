"""A recipe's exp/ folder: its layout, the record of what made each run, a teacher brought in from elsewhere."""
