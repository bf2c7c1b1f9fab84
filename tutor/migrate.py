"""Ordered schema migrations: migrations/NNNN_name.py files, each with
`upgrade(database)`, applied once each and recorded in schema_migrations."""
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from peewee import CharField, DateTimeField, Model

from tutor.database import backend, exclusive
from tutor.models import utcnow

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.py$")


class SchemaMigration(Model):
    name = CharField(max_length=200, primary_key=True)
    applied_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "schema_migrations"


@dataclass(frozen=True)
class Migration:
    name: str
    path: Path

    def load(self):
        spec = importlib.util.spec_from_file_location(f"migrations.{self.name}", self.path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def available(directory=MIGRATIONS_DIR):
    found = sorted(p for p in directory.glob("*.py") if NAME.match(p.name))
    numbers = [p.name[:4] for p in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number in {directory}")
    return [Migration(p.stem, p) for p in found]


def applied(database):
    with SchemaMigration.bind_ctx(database):
        if not SchemaMigration.table_exists():
            return []
        return [m.name for m in SchemaMigration.select().order_by(SchemaMigration.name)]


def upgrade(database, target=None, directory=MIGRATIONS_DIR):
    """Apply every pending migration up to `target` (a name; all when None), in one
    transaction that concurrent upgraders wait for. Returns the names applied."""
    done = []
    with SchemaMigration.bind_ctx(database), exclusive(database, "migrations"):
        if backend(database) == "postgresql":
            # The calendar's counter is a deferred trigger (0013): a migration that
            # writes lessons would leave its events pending until the commit, and a
            # later one could then not alter or index the table ("pending trigger
            # events"), failing an old install's upgrade in one go.
            database.execute_sql("SET CONSTRAINTS ALL IMMEDIATE")
        database.create_tables([SchemaMigration], safe=True)
        already = {m.name for m in SchemaMigration.select()}
        for migration in available(directory):
            if migration.name not in already:
                migration.load().upgrade(database)
                SchemaMigration.create(name=migration.name)
                done.append(migration.name)
            if migration.name == target:
                break
    return done
