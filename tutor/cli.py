"""flask commands: `flask --app wsgi db upgrade`, `db status`."""
import click
from flask.cli import AppGroup

from tutor import migrate
from tutor.extensions import db as flask_db
from tutor.services.accounts import ensure_teacher

db_group = AppGroup("db", help="Database schema.")


@db_group.command("upgrade")
def upgrade():
    """Apply pending migrations, then create the teacher if there is none."""
    for name in migrate.upgrade(flask_db.database):
        click.echo(f"applied {name}")
    announce_teacher(ensure_teacher())


@db_group.command("status")
def status():
    """List migrations and whether each is applied."""
    done = set(migrate.applied(flask_db.database))
    for migration in migrate.available():
        click.echo(f"{'applied' if migration.name in done else 'pending'}  {migration.name}")


def announce_teacher(credentials):
    """Show the new teacher's credentials on the console, once. They go to stderr,
    not to the log, so log shipping never carries the password."""
    if credentials is None:
        return
    click.echo("", err=True)
    click.echo("=" * 60, err=True)
    click.echo("The teacher account has been created. Write this down:", err=True)
    click.echo(f"  login:    {credentials.login}", err=True)
    click.echo(f"  password: {credentials.password}", err=True)
    click.echo("It is shown only this once; change it after logging in.", err=True)
    click.echo("=" * 60, err=True)


COMMANDS = [db_group]
