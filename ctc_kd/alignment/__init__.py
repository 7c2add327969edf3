"""The spike-timing comparison of a student with its teacher on a data dir (definitions: ctc_kd.analysis)."""
