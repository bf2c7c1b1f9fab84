"""The plan the database chooses for a peewee query, as one string: what a test asserts
an index is used by (SQLite's EXPLAIN QUERY PLAN details, PostgreSQL's EXPLAIN lines)."""
from tutor.database import backend
from tutor.extensions import db


def plan(query):
    sql, params = query.sql()
    if backend(db.database) == "sqlite":
        return " ".join(row[-1] for row in db.database.execute_sql(
            f"EXPLAIN QUERY PLAN {sql}", params))
    return " ".join(row[0] for row in db.database.execute_sql(f"EXPLAIN {sql}", params))
