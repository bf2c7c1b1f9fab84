"""Private calendar feeds: the version a feed address is signed with."""
from peewee import IntegerField
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("users", "feed_version", IntegerField(null=True)))
