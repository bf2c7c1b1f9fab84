"""flask commands: `flask --app wsgi db upgrade`, `db status`, `backup`, `backups`,
`restore`, `jobs list`, `jobs run NAME`, `report monthly`, `teacher reset-password`."""
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import click
import peewee
from flask.cli import AppGroup, with_appcontext

from tutor import migrate
from tutor import telegram_cli
from tutor.extensions import db as flask_db
from tutor.services import backup as backups
from tutor.services import backup_store, periodic, scheduler, zones
from tutor.services import accounts
from tutor.services.accounts import ensure_teacher

db_group = AppGroup("db", help="Database schema.")


@db_group.command("upgrade")
@click.option("--wait", "wait_seconds", type=click.IntRange(min=0), default=0,
              help="Wait up to this many seconds for the database to accept connections.")
def upgrade(wait_seconds):
    """Apply pending migrations, then create the teacher if there is none."""
    wait_for_database(flask_db.database, wait_seconds)
    for name in migrate.upgrade(flask_db.database):
        click.echo(f"applied {name}")
    announce_teacher(ensure_teacher())


def wait_for_database(database, seconds):
    """Containers may start together (podman-compose before 1.1 ignores depends_on's
    conditions; podman-restart.service starts every container at a boot): the database
    can still be initialising when the migrations start."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            database.connect(reuse_if_open=True)
            database.execute_sql("SELECT 1")
            return
        except peewee.OperationalError as error:
            if time.monotonic() >= deadline:
                raise click.ClickException(f"the database does not answer: {error}") from None
            click.echo(f"waiting for the database: {str(error).strip()[:200]}", err=True)
            if not database.is_closed():
                database.close()
            time.sleep(2)


@db_group.command("status")
def status():
    """List migrations and whether each is applied."""
    done = set(migrate.applied(flask_db.database))
    for migration in migrate.available():
        click.echo(f"{'applied' if migration.name in done else 'pending'}  {migration.name}")


RESET_COMMAND = "flask --app wsgi teacher reset-password"


def announce_teacher(credentials, title="The teacher account has been created."):
    """Show the teacher's credentials on the console, once, in a box that stands out
    among the start-up lines. They go to stderr, not to the log, so log shipping never
    carries the password."""
    if credentials is None:
        return
    lines = [title + " Write this down:", "",
             f"  login: {credentials.login}    password: {credentials.password}", "",
             "It is shown only this once; change it after logging in.",
             f"Lost it? {RESET_COMMAND}"]
    width = max(len(line) for line in lines) + 2
    box = ["╔" + "═" * width + "╗",
           *(f"║ {line.ljust(width - 2)} ║" for line in lines),
           "╚" + "═" * width + "╝"]
    click.echo("", err=True)
    for line in box:  # colour only on a terminal: click drops it elsewhere
        click.secho(line, err=True, fg="yellow", bold=True)
    click.echo("", err=True)


teacher_group = AppGroup("teacher", help="The teacher's account.")


@teacher_group.command("reset-password")
@click.option("--login", default=None, help="The teacher's login (default: the first teacher).")
def reset_teacher_password(login):
    """Give the teacher a new generated password, shown once, and end their sessions."""
    try:
        credentials = accounts.reset_teacher_password(login)
    except accounts.NoTeacher:
        raise click.ClickException(
            f"there is no teacher with the login {login}" if login
            else "there is no teacher yet: run `flask --app wsgi db upgrade`") from None
    announce_teacher(credentials, "The teacher's password has been reset; every session "
                                  "of theirs is logged out.")


@click.command("backup")
@with_appcontext
@click.option("--out", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the file (default: the backup store, "
                                 "BACKUP_DIR or BACKUP_S3_BUCKET).")
def backup(directory):
    """Write a backup of every table, as the monthly job does."""
    store = backup_store.FolderStore(directory) if directory else backup_store.configured()
    made = store.create(flask_db.database, datetime.now(timezone.utc))
    click.echo(f"{made.name} ({sum(made.counts.values())} rows) in {store.where}")


@click.command("backups")
@with_appcontext
def list_backups():
    """The backups in the store (BACKUP_DIR or BACKUP_S3_BUCKET), oldest first; any
    host sharing the store lists the same."""
    store = backup_store.configured()
    found = store.list()
    for stored in found:
        click.echo(f"{stored.name}  {stored.size:>10} bytes  {stored.modified:%Y-%m-%d %H:%M}Z")
    if not found:
        click.echo(f"no backups in {store.where}")


@click.command("restore")
@with_appcontext
@click.argument("backup_file")
@click.option("--yes", is_flag=True, help="Do not ask before replacing the data.")
def restore(backup_file, yes):
    """Replace all data in the database with a backup's: a file, or the name of one in
    the backup store (`flask backups` lists them)."""
    if not yes:
        click.confirm(f"Every row in {flask_db.database.database} is replaced by "
                      f"{Path(backup_file).name}. Go on?", abort=True)
    try:
        with _backup_file(backup_file) as path:
            counts = backups.restore_backup(flask_db.database, path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    for table, rows in counts.items():
        click.echo(f"{table}: {rows}")


@contextmanager
def _backup_file(given):
    path = Path(given)
    if path.is_file():
        yield path
        return
    store = backup_store.configured()
    try:
        with store.fetch(given) as fetched:
            yield fetched
    except backup_store.NotFound:
        raise click.ClickException(f"{given} is neither a file nor a backup in "
                                   f"{store.where} (`flask backups` lists them)") from None


jobs_group = AppGroup("jobs", help="Periodic jobs.")


@jobs_group.command("list")
def list_jobs():
    """Each job, its schedule and its last run."""
    states = periodic.states()
    for job in periodic.declared().values():
        state = states.get(job.name)
        when = f"day {job.day} monthly" if job.monthly else "every minute"
        last = (f"{state.last_status} {state.last_finished_at:%Y-%m-%d %H:%M}Z"
                if state and state.last_finished_at else "never run")
        click.echo(f"{job.name:<16} {when:<16} {last}")
    lease = scheduler.current()
    click.echo(f"scheduled by {lease.holder} since {lease.since:%Y-%m-%d %H:%M}Z" if lease
               else "no consumer is scheduling the jobs now")


@jobs_group.command("run")
@click.argument("name")
def run_job(name):
    """Run one job now, in this process, recorded as a manual run."""
    if name not in periodic.declared():
        raise click.ClickException(f"no job {name!r}; `flask jobs list` names them")
    try:
        counts = periodic.run(name, manual=True)
    except periodic.AlreadyRunning as error:
        raise click.ClickException(f"{name} is running already") from error
    click.echo(f"{name}: {counts}")


report_group = AppGroup("report", help="Reports.")


def _month_option(ctx, param, value):
    from tutor.services.reports import figures  # the report code: by this command alone
    if value is None:
        return None
    try:
        return figures.parse_month(value)
    except figures.InvalidMonth:
        raise click.BadParameter("write the month as YYYY-MM, e.g. 2026-10") from None


@report_group.command("monthly")
@click.option("--month", callback=_month_option, metavar="YYYY-MM",
              help="The month to report on (default: the previous one).")
@click.option("--out", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=".", show_default=True, help="Folder for the two files.")
@click.option("--comma", is_flag=True, help="Plain comma-separated CSV, decimal points.")
def monthly_report(month, directory, comma):
    """Write report-YYYY-MM.csv and report-YYYY-MM.pdf for a month."""
    from tutor.services.reports import csv, figures, files
    try:
        teacher = accounts.the_teacher()
    except accounts.NoTeacher:
        raise click.ClickException("there is no teacher yet: run `flask db upgrade`") from None
    month = month or figures.previous_month(zones.teacher_today(teacher))
    made = files.monthly_files(teacher, month, separator=csv.COMMA if comma else csv.SEMICOLON)
    for path in made.save(directory):
        click.echo(str(path))
    totals = made.figures.totals
    click.echo(f"{made.figures.student_count} students, {totals.lessons} lessons, "
               f"{totals.hours} hours, {totals.cost} total")


COMMANDS = [db_group, backup, list_backups, restore, jobs_group, report_group, teacher_group,
            *telegram_cli.COMMANDS]
