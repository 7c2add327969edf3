"""Analyses of trained models' CTC outputs: the teacher/student spike-timing study of the SKD paper."""
