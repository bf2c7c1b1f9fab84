"""change_counters' 'debts': raised with every write to what the teacher's list of
students in debt is made of (lessons' prices and marks, payments, the students' names
and roles), so the list, whose sums run over the whole history, is kept until it
moves (services/balances.debts). Triggers, as migration 0013's and for its reasons:
every write counts, bulk updates and restores included. Only a lesson with an
attendance mark can be charged, so only such a lesson counts, and an update only when
a column the list reads changed; a user, likewise: bookings, confirmations and logins
leave the list kept. On PostgreSQL, once per transaction at commit."""
from tutor.database import backend

MARKED = {"INSERT": "NEW.attendance IS NOT NULL", "DELETE": "OLD.attendance IS NOT NULL",
          "UPDATE": "(OLD.attendance IS NOT NULL OR NEW.attendance IS NOT NULL)"}
LESSON_COLUMNS = ("student_id", "status", "attendance", "price")
USER_COLUMNS = ("role", "first_name", "last_name", "login")


def changed(columns):
    """Any of `columns` changed; {distinct} is left for the backend's null-safe `!=`."""
    return "(" + " OR ".join(f"OLD.{column} {{distinct}} NEW.{column}"
                             for column in columns) + ")"


# (table, operation, condition)
COUNTED = [("lessons", operation, MARKED[operation]) for operation in ("INSERT", "DELETE")] + [
    ("lessons", "UPDATE", f"{MARKED['UPDATE']} AND {changed(LESSON_COLUMNS)}"),
    ("payments", "INSERT", "TRUE"), ("payments", "DELETE", "TRUE"),
    ("payments", "UPDATE", changed(("student_id", "amount"))),
    ("users", "UPDATE", changed(USER_COLUMNS)),
]

SQLITE_TRIGGER = """
CREATE TRIGGER {table}_{operation}_debts_change AFTER {operation} ON {table} WHEN {condition}
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'debts';
END
"""

POSTGRES_FUNCTION = """
CREATE FUNCTION count_debts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tutor.debts_counted', true) IS DISTINCT FROM
            txid_current()::text THEN
        UPDATE change_counters SET value = value + 1 WHERE name = 'debts';
        PERFORM set_config('tutor.debts_counted', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$
"""

POSTGRES_TRIGGER = """
CREATE CONSTRAINT TRIGGER {table}_{operation}_debts_change AFTER {operation} ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({condition})
    EXECUTE FUNCTION count_debts_change()
"""

POSTGRES_TRUNCATE = """
CREATE TRIGGER {table}_debts_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION count_debts_change()
"""


def upgrade(database):
    database.execute_sql("INSERT INTO change_counters (name, value) VALUES ('debts', 0)")
    postgresql = backend(database) == "postgresql"
    if postgresql:
        database.execute_sql(POSTGRES_FUNCTION)
        for table in ("lessons", "payments"):
            database.execute_sql(POSTGRES_TRUNCATE.format(table=table))
    trigger = POSTGRES_TRIGGER if postgresql else SQLITE_TRIGGER
    distinct = "IS DISTINCT FROM" if postgresql else "IS NOT"
    for table, operation, condition in COUNTED:
        database.execute_sql(trigger.format(table=table, operation=operation.lower(),
                                            condition=condition.format(distinct=distinct)))
