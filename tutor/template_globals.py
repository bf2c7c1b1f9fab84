"""What any template may call, declared once: Jinja globals, so each function runs
only where a template calls it (a context processor would run for every render, on
every page). The filters that format values are formatting.register's."""
from flask import current_app
from flask_babel import get_locale
from flask_login import current_user

from tutor import week_words
from tutor.models import InboxItem
from tutor.services import agenda, audit, channels, job_results, outbox, outbox_faults, signin
from tutor.urls import url_of_each
from tutor.views.refusals import series_dates


def register(app):
    app.jinja_env.globals.update(
        languages=app.config["LANGUAGES"], url_of_each=url_of_each,
        # the header
        inbox_unread=inbox_unread, requests_waiting=requests_waiting,
        provider_faults=outbox.faults, fault_reason=outbox_faults.reason_text,
        # channels: the banner, the profile's notes, the registration page
        channel_delivers=channels.delivers, outside_channels=channels.delivering,
        has_working_channel=channels.has_working_channel,
        # the ways to sign in on the login, registration and account pages
        yandex_offered=signin.yandex_offered, telegram_login_offered=signin.telegram_offered,
        telegram_bot_id=telegram_bot_id, telegram_fields=(*signin.TELEGRAM_FIELDS, "hash"),
        # the week, the series preview, the jobs page and the audit log
        week_words=week_words.week_words, lesson_for=week_words.lesson_for,
        series_dates=series_dates, job_result=job_results.describe,
        audit_label=audit.action_label, audit_target=audit.target_label)
    app.context_processor(lambda: {"current_locale": str(get_locale())})


def inbox_unread():
    """The signed-in user's unread notices, for the bell."""
    return InboxItem.unread_count(current_user) if current_user.is_authenticated else 0


def requests_waiting():
    """The teacher's requests awaiting confirmation (students and visitors never ask)."""
    return agenda.awaiting_count(current_user)


def telegram_bot_id():
    return current_app.config["TELEGRAM_BOT_TOKEN"].split(":")[0]
