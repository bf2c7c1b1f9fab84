"""When each user was last seen on the site (any signed-in request, remember-me
visits included), written at most hourly: the activity check counts use, not
explicit logins."""
from peewee import DateTimeField
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("users", "last_seen_at", DateTimeField(null=True)))
