"""A task module for the consumer tests: run by a real `huey_consumer`, enqueued
from another process, reading the real database through the app."""
from tasks import app, huey
from tutor.models import User


@huey.task()
def teacher_logins():
    with app.app_context():
        return [teacher.login for teacher in User.teachers()]
