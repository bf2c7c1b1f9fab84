"""Extension objects, created unbound and bound to the app in create_app()."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from playhouse.flask_utils import FlaskDB



class TutorDB(FlaskDB):
    """FlaskDB that tolerates a connection already open in this thread (a CLI
    command or a test that queried before the request); teardown closes it."""

    def connect_db(self):
        if request.endpoint not in self._excluded_routes:
            self.database.connect(reuse_if_open=True)


db = TutorDB()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
