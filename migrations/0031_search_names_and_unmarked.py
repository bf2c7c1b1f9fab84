"""users.search_name: each user's names folded for the student search (lower-cased,
ё read as е; tutor.models.accounts.search_name), filled here for the users there are.
The search compares this stored text instead of folding every row's names per query,
and reads it from an index of (role, search_name, login, email): everything the
search looks at, a fifth of the row.

And an index of the lessons' (teacher, status, attendance, start): the teacher's home
page counts the past confirmed lessons without an attendance mark on every visit
(services/balances.py unmarked_count), a seek into it whatever the history holds.

Added NOT NULL with its default in one ALTER TABLE, as 0027 does, so SQLite does not
rebuild the table."""
from peewee import SQL, CharField
from playhouse.migrate import SchemaMigrator, migrate


def folded_names(first_name, last_name):
    # A copy of tutor.models.accounts.search_name as it is today: a migration keeps
    # meaning what it meant when it was written.
    names = " ".join(part for part in (first_name, last_name) if part)
    return names.lower().replace("ё", "е")


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("users", "search_name", CharField(
        max_length=201, default="", constraints=[SQL("DEFAULT ''")]), allow_not_null=True))
    rows = database.execute_sql(
        "SELECT id, first_name, last_name FROM users WHERE first_name <> '' "
        "OR last_name <> ''").fetchall()
    # Only the driver's placeholder is put in; the values go as parameters.
    update = f"UPDATE users SET search_name = {database.param} WHERE id = {database.param}"  # nosec B608
    for user_id, first_name, last_name in rows:
        database.execute_sql(update, (folded_names(first_name, last_name), user_id))
    # Named as peewee names the index of User.Meta.indexes in a fresh database.
    database.execute_sql("CREATE INDEX user_role_search_name_login_email "
                         "ON users (role, search_name, login, email)")
    database.execute_sql("CREATE INDEX lesson_teacher_id_status_attendance_start "
                         "ON lessons (teacher_id, status, attendance, start)")
