"""Backups: every table of the app in one gzip'd JSON-lines file, read in a single
consistent snapshot, and restored into SQLite or PostgreSQL alike.

The file: a manifest line, then for each table a header line ({"table", "columns"})
followed by one JSON array per row, and a closing line with the row count of every
table, so a truncated file is refused instead of half-restored. Values are plain JSON:
dates and times as ISO text, decimals as text; the models' field types turn them back.
"""
import base64
import gzip
import json
import secrets
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from peewee import (
    BlobField,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    TimeField,
    sort_models,
)

from tutor.database import backend, exclusive, maintenance
from tutor.migrate import applied, upgrade
from tutor.models import (MODELS, ChangeCounter, InboxItem, LoginSession, RateLimitCounter,
                          SchedulerLease, StoredFile)

FORMAT = "tutor-backup"
VERSION = 1
PREFIX = "tutor-backup-"
SUFFIX = ".jsonl.gz"


# Columns that later migrations renamed: an older backup's go to their new names.
RENAMED_COLUMNS = {"users": {"session_version": "reset_version"}}  # 0018


class BackupError(Exception):
    """The file is not a complete tutor backup this version can restore."""


def ordered_models():
    """Parents before children, so rows restore without breaking foreign keys."""
    return sort_models([model for model in MODELS
                        if model not in (ChangeCounter, RateLimitCounter, LoginSession,
                                    SchedulerLease)])


def _plain(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _parser(field):
    if isinstance(field, DateTimeField):
        return datetime.fromisoformat
    if isinstance(field, DateField):
        return date.fromisoformat
    if isinstance(field, TimeField):
        return time.fromisoformat
    if isinstance(field, DecimalField):
        return Decimal
    if isinstance(field, BooleanField):
        return bool
    if isinstance(field, BlobField):
        return base64.b64decode
    return None


def _rows(model, fields):
    """The rows of `model` a backup holds: all of them, but for the files of earlier
    backups kept in the inbox (each backup would hold the ones before it; BACKUP_DIR
    has them). Their inbox notices stay, without the file after a restore."""
    query = model.select(*fields).order_by(model._meta.primary_key)
    if model is StoredFile:
        query = query.where(StoredFile.item.not_in(
            InboxItem.select(InboxItem.id).where(InboxItem.kind == "backup")))
    return query.tuples()


def write_backup(database, path, now):
    """Write every table to `path` from one snapshot. Returns {table: rows}."""
    counts = {}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out, \
            database.atomic():
        if backend(database) == "postgresql":
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        manifest = {"format": FORMAT, "version": VERSION, "created_at": now.isoformat(),
                    "source": backend(database), "migrations": applied(database)}
        out.write(json.dumps(manifest) + "\n")
        with database.bind_ctx(MODELS):
            for model in ordered_models():
                fields = model._meta.sorted_fields
                out.write(json.dumps({"table": model._meta.table_name,
                                      "columns": [f.column_name for f in fields]}) + "\n")
                rows = 0
                for row in _rows(model, fields).iterator():
                    out.write(json.dumps([_plain(v) for v in row], ensure_ascii=False) + "\n")
                    rows += 1
                counts[model._meta.table_name] = rows
        out.write(json.dumps({"end": counts}) + "\n")
    return counts


def make_backup(database, directory, now, keep=None):
    """A new backup file in `directory` named by `now` (UTC) and a random part, so two
    hosts backing up in the same second sharing the folder never write one file; the
    oldest beyond `keep` are removed. Returns (path, {table: rows})."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{PREFIX}{now:%Y-%m-%dT%H%M%SZ}-{secrets.token_hex(4)}{SUFFIX}"
    partial = path.with_name(path.name + ".partial")
    counts = write_backup(database, partial, now)
    partial.replace(path)  # only complete files carry the backup name
    if keep:
        for old in sorted(directory.glob(f"{PREFIX}*{SUFFIX}"))[:-keep]:
            old.unlink()
    return path, counts


def read_backup(path):
    """(manifest, {table: (columns, rows)}) from a backup file, checked complete."""
    tables, current, end = {}, None, None
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            manifest = json.loads(next(lines))
            if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
                raise BackupError(f"{path} is not a tutor backup (version {VERSION})")
            for line in lines:
                item = json.loads(line)
                if isinstance(item, list):
                    current[1].append(item)
                elif "table" in item:
                    current = (item["columns"], [])
                    tables[item["table"]] = current
                elif "end" in item:
                    end = item["end"]
    except (OSError, EOFError, ValueError, StopIteration, TypeError) as error:
        raise BackupError(f"{path} cannot be read: {error}") from error
    if end is None or {t: len(rows) for t, (_, rows) in tables.items()} != end:
        raise BackupError(f"{path} is incomplete: it ends before the last table")
    return manifest, tables


def restore_backup(database, path):
    """Replace every row in the database with the backup's, in one transaction: the
    schema is upgraded first, and a backup from a newer schema is refused. Returns
    {table: rows}.

    Meanwhile the app is in maintenance (tutor.database.maintenance): new requests
    are answered 503 with Retry-After and those in flight are waited for, so no
    request sees the database half replaced or writes a row whose parent the restore
    has just deleted; writers outside requests (the consumer) wait for the writers'
    lock."""
    manifest, tables = read_backup(path)
    with maintenance(database):
        return _replace_rows(database, manifest, tables)


def _replace_rows(database, manifest, tables):
    upgrade(database)
    unknown = set(manifest["migrations"]) - set(applied(database))
    if unknown:
        raise BackupError("the backup comes from a newer version of tutor "
                          f"(migrations {', '.join(sorted(unknown))}); upgrade tutor first")
    models = ordered_models()
    counts = {}
    with database.bind_ctx(MODELS), exclusive(database, "restore"):
        for model in reversed(models):
            model.delete().execute()
        for model in models:
            columns, rows = tables.get(model._meta.table_name, ([], []))
            renamed = RENAMED_COLUMNS.get(model._meta.table_name, {})
            columns = [renamed.get(column, column) for column in columns]
            by_column = {f.column_name: f for f in model._meta.sorted_fields}
            missing = [c for c in columns if c not in by_column]
            if missing:
                raise BackupError(f"{model._meta.table_name} has no column {missing[0]}")
            fields = [by_column[c] for c in columns]
            parsers = [_parser(f) for f in fields]
            decoded = ([v if p is None or v is None else p(v) for p, v in zip(parsers, row)]
                       for row in rows)
            batch = []
            for row in decoded:
                batch.append(row)
                if len(batch) == 500:
                    model.insert_many(batch, fields=fields).execute()
                    batch = []
            if batch:
                model.insert_many(batch, fields=fields).execute()
            counts[model._meta.table_name] = len(rows)
        if backend(database) == "postgresql":
            _reset_sequences(database, models)
    return counts


def _reset_sequences(database, models):
    """New rows after a restore must not collide with restored ids."""
    for model in models:
        key = model._meta.primary_key
        if key.field_type != "AUTO":
            continue
        table = model._meta.table_name
        # Table and column names come from the models, not from any input.
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "  # nosec B608
            f"COALESCE((SELECT MAX({key.column_name}) FROM {table}), 0) + 1, false)",
            (table, key.column_name))
