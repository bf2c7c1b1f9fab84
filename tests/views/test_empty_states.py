"""Every list a new tutor or student opens empty says what will be there and offers
the next step (a link, or where the form that fills it is)."""
import re

import pytest
from flask import url_for

from tests.conftest import TEACHER_PASSWORD, browser_for

EMPTY_STATE = re.compile(r'<div class="empty-state">(.*?)</div>', re.S)

TEACHER_LISTS = [
    ("admin.students", {}, "No students yet.", "/teacher/profile"),
    ("admin.students", {"q": "nobody"}, "No students match.", "/teacher/students"),
    ("admin.lessons", {}, "No lessons match.", "/teacher/lessons/new"),
    ("admin.broadcasts", {}, "No broadcasts yet.", "#compose-title"),
    ("admin.goals", {}, "No goals yet", None),
    ("admin.audit_log", {}, "Nothing recorded yet.", None),
    ("outbox.index", {}, "No messages.", "/teacher/settings#site-title"),
    ("jobs.index", {}, "No runs recorded yet.", None),
    ("inbox.index", {}, "Nothing here yet.", "/"),
    ("teacher.availability", {}, "No weekly hours yet", None),
]


def empty_states(page):
    found = EMPTY_STATE.findall(page)
    for state in found:  # each names a next step: a link or a hint where to act
        assert "<a href=" in state or 'class="hint"' in state, state
    return found


@pytest.mark.parametrize("endpoint, args, text, link", TEACHER_LISTS,
                         ids=[f"{e}{'?' if a else ''}" for e, a, _t, _l in TEACHER_LISTS])
def test_the_teachers_empty_lists_offer_a_next_step(app, client, teacher, endpoint, args,
                                                    text, link):
    with app.test_request_context():
        path = url_for(endpoint, **args)
    page = browser_for(app, "teacher", TEACHER_PASSWORD).get(path).text
    states = [state for state in empty_states(page) if text in state]
    assert states, f"{path}: no empty state saying {text!r}"
    if link:
        assert f'href="{link}"' in states[0]


def test_a_new_students_lists_offer_the_calendar(app, client, teacher, create_student):
    create_student(login="alisa")
    student = browser_for(app, "alisa")
    page = student.get("/lessons/mine").text
    states = empty_states(page)
    assert any("No upcoming lessons." in state and 'href="/' in state for state in states)
    payments = student.get("/lessons/mine/payments").text
    assert any("No payments recorded yet." in state for state in empty_states(payments))
