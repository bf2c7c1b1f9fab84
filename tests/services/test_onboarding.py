"""The new teacher's checklist (tutor/services/onboarding.py): every step is read from
the data, so it is ticked the moment it is done wherever it was done, and unticked
when undone; only "dismissed" is stored."""
from datetime import time
from decimal import Decimal

import pytest

from tests.channels_config import EMAIL
from tutor.models import Goal, User
from tutor.services import accounts, onboarding, recovery, schedule

NEW_PASSWORD = "Северное-сияние-2031"


@pytest.fixture
def new_teacher(app_ctx):
    """The teacher `flask db upgrade` creates, with the generated credentials."""
    credentials = accounts.ensure_teacher()
    return User.by_login(credentials.login), credentials


def done(teacher):
    return {step.key: step.done for step in onboarding.checklist(User.get_by_id(teacher.id)).steps}


def test_a_new_install_has_everything_to_do(new_teacher):
    teacher, _ = new_teacher
    checklist = onboarding.checklist(teacher)
    assert [step.key for step in checklist.steps] == list(onboarding.STEPS)
    assert checklist.done_count == 0 and checklist.shown and not checklist.complete


def test_each_step_is_ticked_from_the_data(new_teacher, app_ctx):
    teacher, credentials = new_teacher
    accounts.change_password(teacher, credentials.password, NEW_PASSWORD)
    assert done(teacher)["password"]
    schedule.set_windows(teacher, [(0, time(10), time(14))])
    assert done(teacher)["hours"]
    schedule.update_settings(teacher, default_price=Decimal("1500"))
    assert done(teacher)["price"]
    Goal.create(name="ЕГЭ", position=0)
    assert done(teacher)["goals"]
    app_ctx.config["PUBLIC_URL"] = "https://tutor.example.org"
    assert done(teacher)["public_url"]
    assert not done(teacher)["channel"]  # e-mail is not set up on this site
    User.update(channel=User.EMAIL, email="anna@example.org").where(
        User.id == teacher.id).execute()
    assert not done(teacher)["channel"]  # chosen, but the log backend delivers nothing
    app_ctx.config.update(EMAIL)
    checklist = onboarding.checklist(User.get_by_id(teacher.id))
    assert checklist.complete and not checklist.shown


def test_undoing_a_step_unticks_it(new_teacher):
    teacher, _ = new_teacher
    goal = Goal.create(name="ЕГЭ", position=0)
    assert done(teacher)["goals"]
    goal.retired = True
    goal.save()
    assert not done(teacher)["goals"]


def test_a_password_reset_counts_as_changing_it(new_teacher):
    teacher, _ = new_teacher
    token = recovery.make_reset_token(teacher)
    recovery.reset_password(token, NEW_PASSWORD)
    assert done(teacher)["password"]


def test_a_teacher_from_before_the_checklist_has_changed_the_password(app_ctx, teacher):
    assert done(teacher)["password"]  # no generated password recorded: not asked


def test_dismissing_hides_it_for_good(new_teacher):
    teacher, _ = new_teacher
    onboarding.dismiss(teacher)
    checklist = onboarding.checklist(User.get_by_id(teacher.id))
    assert checklist.dismissed and not checklist.shown
    assert checklist.steps == ()  # nothing is worked out once it is hidden
