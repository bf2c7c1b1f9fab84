"""Teacher onboarding: when the password was generated (cleared once the teacher sets
one) and when the checklist was dismissed. An existing teacher counts as having
changed the password: only new installs are asked."""
from peewee import DateTimeField
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("users", "password_generated_at", DateTimeField(null=True)),
            migrator.add_column("users", "onboarding_dismissed_at", DateTimeField(null=True)))
