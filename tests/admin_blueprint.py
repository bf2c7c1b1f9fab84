"""Until create_app registers the administration blueprint, the admin tests register
it themselves, before the first request (import `admin_blueprint` into a test module:
it is autouse)."""
import pytest

from tutor.views import admin


@pytest.fixture(autouse=True)
def admin_blueprint(app):
    if "admin" not in app.blueprints:
        app.register_blueprint(admin.bp)
    return app
