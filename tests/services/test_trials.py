"""Trial requests: one per contact a day, however the contact is spelled; answering one
once."""
from datetime import datetime, timedelta

import pytest

from tutor.models import InboxItem, TrialRequest
from tutor.services import trials

NOW = datetime(2026, 12, 1, 9, 0)


@pytest.mark.parametrize("contact, key", [
    ("+7 (900) 123-45-67", "+79001234567"),
    ("  @Petr_TG ", "petr_tg"),
    ("Petr@Example.org", "petr@example.org"),
])
def test_contact_keys(contact, key):
    assert trials.contact_key(contact) == key


def test_one_request_per_contact_a_day(app_ctx, teacher):
    assert trials.ask("Пётр", "+7 900 123-45-67", now=NOW) is not None
    assert trials.ask("Пётр", "+7 (900) 1234567", now=NOW + timedelta(hours=23)) is None
    assert trials.ask("Пётр", "+79001234567", now=NOW + timedelta(hours=24, minutes=1))
    assert TrialRequest.select().count() == 2
    assert InboxItem.select().where(InboxItem.kind == "trial_request").count() == 2


def test_answered_once(app_ctx, teacher, create_student):
    trial = trials.ask("Пётр", "petr@example.org", now=NOW)
    student = create_student(login="petr")
    trials.offered(teacher, trial.id, student)
    with pytest.raises(trials.AlreadyDecided):
        trials.decline(teacher, trial.id)
    with pytest.raises(trials.RequestNotFound):
        trials.decline(teacher, trial.id + 1)
    assert TrialRequest.get_by_id(trial.id).student_id == student.id
