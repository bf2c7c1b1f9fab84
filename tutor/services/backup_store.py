"""Where backups are kept, so that any host can make, list and restore them: a folder
(BACKUP_DIR; with several hosts, one folder they all mount, e.g. over NFS), or an
S3-compatible bucket when BACKUP_S3_BUCKET is set (AWS, MinIO, Yandex Object
Storage…). Each backup is named by its time and a random part (backup.make_backup),
so two hosts backing up at once never write one name; the newest BACKUP_KEEP stay.
"""
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app

from tutor.services import backup

CONTENT_TYPE = "application/gzip"


@dataclass(frozen=True)
class Stored:
    name: str
    size: int
    modified: datetime  # aware UTC


@dataclass(frozen=True)
class Made:
    name: str
    counts: dict  # {table: rows}
    content: bytes  # the file itself, for the teacher's copy


class NotFound(Exception):
    """No backup of that name in the store."""


def is_backup_name(name):
    return (name.startswith(backup.PREFIX) and name.endswith(backup.SUFFIX)
            and "/" not in name)


class FolderStore:
    def __init__(self, directory):
        self.directory = Path(directory)
        self.where = str(self.directory)

    def create(self, database, now, keep=None):
        path, counts = backup.make_backup(database, self.directory, now, keep=keep)
        return Made(path.name, counts, path.read_bytes())

    def list(self):
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob(f"{backup.PREFIX}*{backup.SUFFIX}"):
            stat = path.stat()
            found.append(Stored(path.name, stat.st_size,
                                datetime.fromtimestamp(stat.st_mtime, timezone.utc)))
        return sorted(found, key=lambda stored: stored.name)

    @contextmanager
    def fetch(self, name):
        path = self.directory / name
        if not is_backup_name(name) or not path.is_file():
            raise NotFound(name)
        yield path


class S3Store:
    """Backups as objects `<prefix><name>` in a bucket. The file is written to a
    temporary folder first and uploaded once complete, so the bucket only ever holds
    whole backups."""

    def __init__(self, client, bucket, prefix=""):
        self.client, self.bucket, self.prefix = client, bucket, prefix
        self.where = f"s3://{bucket}/{prefix}"

    def create(self, database, now, keep=None):
        with tempfile.TemporaryDirectory(prefix="tutor-backup-") as folder:
            path, counts = backup.make_backup(database, folder, now)
            self.client.upload_file(str(path), self.bucket, self.prefix + path.name,
                                    ExtraArgs={"ContentType": CONTENT_TYPE})
            made = Made(path.name, counts, path.read_bytes())
        if keep:
            self.prune(keep)
        return made

    def list(self):
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + backup.PREFIX)
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix):]
                if is_backup_name(name):
                    found.append(Stored(name, item["Size"], item["LastModified"]))
        return sorted(found, key=lambda stored: stored.name)

    def prune(self, keep):
        for old in self.list()[:-keep]:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + old.name)

    @contextmanager
    def fetch(self, name):
        if name not in {stored.name for stored in self.list()}:
            raise NotFound(name)
        with tempfile.TemporaryDirectory(prefix="tutor-restore-") as folder:
            path = Path(folder) / name
            self.client.download_file(self.bucket, self.prefix + name, str(path))
            yield path


def s3_client(config):
    """A boto3 client for the configured endpoint; keys left empty are taken the way
    boto3 always does (AWS_* variables, ~/.aws, an instance role)."""
    import boto3  # only installs that keep backups in a bucket need it loaded
    from botocore.config import Config
    return boto3.client(
        "s3",
        endpoint_url=config["BACKUP_S3_ENDPOINT_URL"] or None,
        region_name=config["BACKUP_S3_REGION"] or None,
        aws_access_key_id=config["BACKUP_S3_ACCESS_KEY_ID"] or None,
        aws_secret_access_key=config["BACKUP_S3_SECRET_ACCESS_KEY"] or None,
        config=Config(retries={"mode": "standard", "max_attempts": 5},
                      s3={"addressing_style": "path"} if config["BACKUP_S3_ENDPOINT_URL"]
                      else None))


def configured(config=None):
    """The store the settings name: the bucket when BACKUP_S3_BUCKET is set, else the
    folder BACKUP_DIR."""
    config = config or current_app.config
    if config["BACKUP_S3_BUCKET"]:
        return S3Store(s3_client(config), config["BACKUP_S3_BUCKET"],
                       config["BACKUP_S3_PREFIX"])
    return FolderStore(config["BACKUP_DIR"])
