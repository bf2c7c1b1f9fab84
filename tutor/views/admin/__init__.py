"""The teacher's administration pages: students, the lesson list, learning goals,
broadcasts, settings and the audit log. One blueprint, `admin`, whose routes live in
the modules by area; each view parses a form, calls one service function and responds."""
from tutor.views.admin import broadcasts, goals, lessons, settings, students
from tutor.views.admin.blueprint import bp

__all__ = ["bp", "broadcasts", "goals", "lessons", "settings", "students"]
