"""Extension objects, created unbound and bound to the app in create_app()."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from playhouse.flask_utils import FlaskDB

from tutor.database import backend


class TutorDB(FlaskDB):
    """FlaskDB that tolerates a connection already open in this thread (a CLI
    command or a test that queried before the request). A SQLite connection stays
    open for the thread's next request: opening one runs four PRAGMAs, and closing
    the last one checkpoints and deletes the WAL file, about half the cost of a small
    request (bench/RESULTS.md). A PostgreSQL connection, or one left inside a
    transaction, goes back at teardown whatever the route: one a request opened
    without FlaskDB (a hook reading the user) and kept would be lost to the pool."""

    def connect_db(self):
        if request.endpoint not in self._excluded_routes:
            self.database.connect(reuse_if_open=True)

    def close_db(self, exc):
        if self.database.is_closed():
            return
        if backend(self.database) == "sqlite" and not self.database.in_transaction():
            return
        self.database.close()


db = TutorDB()


def opens_database():
    """Does this request use the database? Not static files and probes (nor a path
    that matches no route)."""
    return request.endpoint not in (None, *db._excluded_routes)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
