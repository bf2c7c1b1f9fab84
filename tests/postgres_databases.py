"""A test's own PostgreSQL database, made once per worker and emptied between tests.

Making a database from the migrated template and dropping it again cost 0.5–4 s per
test (both wait on the server's disk, the drop on a checkpoint), more than most tests;
emptying one back to the template's rows costs about 20 ms. Emptying is safe only
while a test left the schema as it found it: the schema's fingerprint is compared
after every test, and a database whose schema changed is dropped and made anew."""
import psycopg2
from psycopg2 import sql

# Tables in the order their rows can be deleted: those referring to others first.
_TABLES = """
    SELECT c.relname, coalesce(array_agg(DISTINCT r.relname)
                               FILTER (WHERE r.relname IS NOT NULL AND r.oid <> c.oid), '{}')
    FROM pg_class c
    LEFT JOIN pg_constraint f ON f.conrelid = c.oid AND f.contype = 'f'
    LEFT JOIN pg_class r ON r.oid = f.confrelid
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
    GROUP BY c.relname"""

_FINGERPRINT = """
    SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
        SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
               || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS item
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0
              AND NOT a.attisdropped
        UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint
                  WHERE connamespace = 'public'::regnamespace
        UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
        UNION ALL SELECT p.oid::regprocedure::text || md5(p.prosrc) FROM pg_proc p
                  WHERE p.pronamespace = 'public'::regnamespace) AS schema"""

_SEQUENCES = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"


class ReusedDatabase:
    """One database per worker, handed to one test at a time (`take`, `give_back`)."""

    def __init__(self, admin, url_of, name):
        self._admin, self._url_of, self.name = admin, url_of, name
        self._template = None
        self._made = False

    def take(self, template):
        if not self._made:
            self._admin(f"CREATE DATABASE {self.name} TEMPLATE {template}")
            self._made = True
            if self._template is None:
                self._template = self._read_template()
        return self._url_of(self.name)

    def give_back(self):
        """Empty the database back to the template's rows, or drop it when a test changed
        its schema (the next `take` makes it anew)."""
        self._admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()")
        connection = psycopg2.connect(self._url_of(self.name))
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(_FINGERPRINT)
                unchanged = cursor.fetchone()[0] == self._template["fingerprint"]
                if unchanged:
                    self._empty(cursor)
        finally:
            connection.close()
        if not unchanged:
            self.drop()

    def drop(self):
        if self._made:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            self._made = False

    def _read_template(self):
        connection = psycopg2.connect(self._url_of(self.name))
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(_FINGERPRINT)
                fingerprint = cursor.fetchone()[0]
                cursor.execute(_TABLES)
                tables = _children_first(dict(cursor.fetchall()))
                rows = {}
                for table in tables:
                    cursor.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
                    if cursor.rowcount:
                        rows[table] = ([column.name for column in cursor.description],
                                       cursor.fetchall())
                cursor.execute(_SEQUENCES)
                sequences = cursor.fetchall()
        finally:
            connection.close()
        return {"fingerprint": fingerprint, "tables": tables, "rows": rows,
                "sequences": sequences}

    def _empty(self, cursor):
        # The calendar's change counter is bumped by deferred triggers: run them now,
        # before the seeded rows (the counter's among them) are put back.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in self._template["tables"]:
            cursor.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
        for table in reversed(self._template["tables"]):
            if table in self._template["rows"]:
                columns, rows = self._template["rows"][table]
                cursor.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
                cursor.executemany(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns))), rows)
        for sequence, last_value in self._template["sequences"]:
            # A sequence never used restarts at its start; one the migrations used
            # goes back to where they left it.
            if last_value is None:
                cursor.execute(sql.SQL("ALTER SEQUENCE {} RESTART").format(
                    sql.Identifier(sequence)))
            else:
                cursor.execute("SELECT setval(%s, %s)", (f'"{sequence}"', last_value))


def _children_first(refers_to):
    """Tables ordered so that each comes before every table it refers to."""
    ordered, seen = [], set()

    def visit(table, path=()):
        if table in seen:
            return
        if table in path:
            raise ValueError(f"foreign keys in a circle through {table}: empty by hand")
        for child in sorted(t for t, parents in refers_to.items() if table in parents):
            visit(child, path + (table,))
        seen.add(table)
        ordered.append(table)

    for table in sorted(refers_to):
        visit(table)
    return ordered
