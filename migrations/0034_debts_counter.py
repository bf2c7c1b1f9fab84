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


def changed(columns, distinct):
    return "(" + " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in columns) + ")"


# (table, operation, condition)
COUNTED = [("lessons", operation, MARKED[operation]) for operation in ("INSERT", "DELETE")] + [
    ("lessons", "UPDATE", f"{MARKED['UPDATE']} AND {changed(LESSON_COLUMNS, '{distinct}')}"),
    ("payments", "INSERT", "TRUE"), ("payments", "DELETE", "TRUE"),
    ("payments", "UPDATE", changed(("student_id", "amount"), "{distinct}")),
    ("users", "UPDATE", changed(USER_COLUMNS, "{distinct}")),
]

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER {table}_{operation.lower()}_debts_change AFTER {operation} ON {table}
    WHEN {condition.format(distinct="IS NOT")}
    BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'debts'; END"""
    for table, operation, condition in COUNTED
]

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

POSTGRES_TRIGGERS = [
    f"""CREATE CONSTRAINT TRIGGER {table}_{operation.lower()}_debts_change
    AFTER {operation} ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ({condition.format(distinct="IS DISTINCT FROM")})
    EXECUTE FUNCTION count_debts_change()"""
    for table, operation, condition in COUNTED
] + [
    f"""CREATE TRIGGER {table}_debts_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION count_debts_change()"""
    for table in ("lessons", "payments")
]


def upgrade(database):
    database.execute_sql("INSERT INTO change_counters (name, value) VALUES ('debts', 0)")
    if backend(database) == "postgresql":
        database.execute_sql(POSTGRES_FUNCTION)
        statements = POSTGRES_TRIGGERS
    else:
        statements = SQLITE_TRIGGERS
    for statement in statements:
        database.execute_sql(statement)
