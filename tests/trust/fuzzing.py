"""What the two fuzzers (tests/trust/test_fuzz_forms.py, the form bodies;
tests/trust/test_fuzz_requests.py, the rest of a request) share: `hostile`, a strategy
for text of every kind of trouble, and the database kept (snapshot) and put back as it
was (restore) after a request that changed it."""
from hypothesis import strategies as st

from tests.trust.conftest import kept_tables
from tutor.database import backend
from tutor.extensions import db

# --- values ------------------------------------------------------------------------

CONTROL = "".join(map(chr, range(32))) + "\x7f\u0085\u2028\u2029"
LONG_UNITS = ["a", "Я", "😀", "\x00", "ab c ", "e\u0301"]

# Each kind of trouble is drawn about as often as the others.
hostile = st.one_of(
    # unicode: Cyrillic, emoji, right-to-left, combining marks, invisible characters
    st.sampled_from(["Привет, мир", "Ёжик в тумане", "😀👩‍👩‍👧‍👦🇷🇺", "مرحبا بالعالم", "שלום",
                     "\u202eevil\u202c", "e\u0301\u0301\u0301\u0301", "Z\u0336\u0321a\u0335l\u0334",
                     "\ufeff", "\u200b", "\ufffd\ufffe\uffff"]),
    st.text(max_size=40),
    # control characters, NUL above all (PostgreSQL refuses it in text)
    st.sampled_from(["\x00", "a\x00b", "Иван\x00", "\x00\x00\x00", "\r\n", "line\r\nbreak",
                     "\t", "\x1b[31mred\x1b[0m", "\x7f", "\x08\x0c\x0b", "\u2028"]),
    st.text(alphabet=CONTROL + "абвAb1 ", min_size=1, max_size=20),
    # 10k to 100k characters
    st.builds(lambda unit, size: unit * (size // len(unit)),
              st.sampled_from(LONG_UNITS), st.integers(10_000, 100_000)),
    # numbers where text is expected, and odd numbers where numbers are
    st.one_of(st.integers().map(str), st.floats().map(str),
              st.sampled_from(["-1", "0", "1e309", "NaN", "inf", "-Infinity", "-0.0", "1,5",
                               "1 000", "0x1F", "99999999999999999999999999"])),
    # text where dates and times are expected, and impossible dates and times
    st.one_of(st.dates().map(str), st.times().map(str), st.datetimes().map(str),
              st.sampled_from(["2027-02-30", "0000-00-00", "9999-12-31", "0001-01-01",
                               "2027-13-01", "9999-12-31T23:59:59", "24:00", "12:60", "-1:00",
                               "25:61:61", "yesterday"])),
    # blanks and markup
    st.sampled_from(["", " ", "   \t ", "null", "None", "true", "undefined",
                     "<script>alert(1)</script>", "' OR 1=1 --", "%s%n%x", "{{ 7*7 }}",
                     "../../etc/passwd"]),
)


# --- the database, kept and put back ------------------------------------------------

def snapshot(app):
    """Every table's columns and rows, to restore after an accepted request."""
    with app.app_context():
        database = db.database
        tables = {}
        for table in kept_tables(database):
            cursor = database.execute_sql(f'SELECT * FROM "{table}"')  # names from the catalog
            tables[table] = ([column[0] for column in cursor.description], cursor.fetchall())
        return tables


def restore(app, tables):
    with app.app_context():
        database = db.database
        postgres = backend(database) == "postgresql"
        # The rows go back in any order: foreign keys are not checked meanwhile.
        database.execute_sql("SET session_replication_role = replica" if postgres
                             else "PRAGMA foreign_keys = OFF")
        try:
            # change_counters last: putting the calendar's rows back raises the
            # counter (triggers), and it must end as it was.
            with database.atomic():
                for table, (columns, rows) in sorted(
                        tables.items(), key=lambda item: item[0] == "change_counters"):
                    database.execute_sql(f'DELETE FROM "{table}"')
                    if rows:
                        names = ", ".join(f'"{column}"' for column in columns)
                        marks = ", ".join([database.param] * len(columns))
                        database.cursor().executemany(
                            f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        finally:
            database.execute_sql("SET session_replication_role = DEFAULT" if postgres
                                 else "PRAGMA foreign_keys = ON")
