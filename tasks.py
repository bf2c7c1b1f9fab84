"""The huey consumer's entry point: `huey_consumer tasks.huey`.

It builds the app once so tasks run against the same database and settings as the
web process, and imports every task module so the consumer knows all of them."""
from dotenv import load_dotenv

load_dotenv()

from tutor import create_app, jobs  # noqa: E402,F401
from tutor.queue import bind_app, huey  # noqa: E402,F401

app = create_app()
bind_app(app)
