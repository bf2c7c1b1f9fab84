"""An index on the lessons' (teacher, end): Lesson.in_range reads the lessons
overlapping a week through it, instead of walking every earlier lesson through
(teacher, start). bench/load.py measured the difference."""


def upgrade(database):
    # Named as peewee names the index of Lesson.Meta.indexes in a fresh database.
    database.execute_sql('CREATE INDEX lesson_teacher_id_end ON lessons (teacher_id, "end")')
