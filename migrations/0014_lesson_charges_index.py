"""An index holding everything the per-student sums read (student, status,
attendance, price): the students list sums each student's charged lessons from the
index alone instead of fetching every lesson row of their history. At 1,000,000
lessons its query went from 27 to 8.5 ms, as at 100,000 (bench/RESULTS.md)."""


def upgrade(database):
    # Named as peewee names the index of Lesson.Meta.indexes in a fresh database.
    database.execute_sql("CREATE INDEX lesson_student_id_status_attendance_price "
                         "ON lessons (student_id, status, attendance, price)")
