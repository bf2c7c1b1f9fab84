"""teacher_settings.slot_step_minutes: slot starts on a step of the clock the teacher
picks (60, 30 or 15 minutes) or right after the previous lesson and the break (0).

Teachers who were there before keep 0, which is how their slots were offered: the
times their students know (and the number of lessons that fit a window, which an
hourly step can lower for 90-minute lessons) do not change under them on an upgrade;
they pick a step on the availability page. New teachers get the model's default, on
the hour."""


def upgrade(database):
    # Plain ADD COLUMN, as in 0019: the migrator's SQLite rebuild would drop the
    # calendar triggers on teacher_settings (0013).
    database.execute_sql("ALTER TABLE teacher_settings ADD COLUMN slot_step_minutes "
                         "INTEGER NOT NULL DEFAULT 0")
