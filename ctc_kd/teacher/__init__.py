"""The frozen teacher: loading it strictly and checking it fits the student."""
from ctc_kd.teacher.loader import TeacherMismatchError, check_teacher_fits_student, load_teacher

__all__ = ["TeacherMismatchError", "check_teacher_fits_student", "load_teacher"]
