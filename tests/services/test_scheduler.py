"""One consumer schedules the periodic jobs at a time, holding a lease in the database
it renews each minute; when it stops renewing, the next consumer to ask takes over."""
import os
import socket
import subprocess
from datetime import datetime, timedelta

import pytest

from tutor import queue
from tutor.models import SchedulerLease
from tutor.queue import huey
from tutor.services import scheduler

NOW = datetime(2026, 12, 6, 10, 0)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.mark.config(SCHEDULER_LEASE_SECONDS=150)
def test_one_holder_at_a_time_and_another_takes_over_when_it_stops(app_ctx, clock):
    assert scheduler.current() is None
    assert scheduler.hold("a")
    assert not scheduler.hold("b")
    clock.move_to(NOW + timedelta(seconds=60), tick=False)
    assert scheduler.hold("a")  # renewed each minute: b never gets it
    clock.move_to(NOW + timedelta(seconds=120), tick=False)
    assert not scheduler.hold("b")
    assert scheduler.current().holder == "a"

    # a's host is gone: the lease runs out 150 s after its last renewal
    clock.move_to(NOW + timedelta(seconds=60 + 149), tick=False)
    assert not scheduler.hold("b")
    clock.move_to(NOW + timedelta(seconds=60 + 150), tick=False)
    assert scheduler.hold("b")
    assert not scheduler.hold("a")  # back again, it waits its turn
    lease = scheduler.current()
    assert (lease.holder, lease.since) == ("b", NOW + timedelta(seconds=210))
    assert SchedulerLease.select().count() == 1


def test_a_consumer_that_stops_hands_over_at_once(app_ctx, clock):
    assert scheduler.hold("a")
    scheduler.release("a")
    assert scheduler.current() is None
    assert scheduler.hold("b")
    scheduler.release("a")  # not its lease any more: changes nothing
    assert scheduler.current().holder == "b"


def test_a_consumer_restarted_on_the_same_host_takes_over_from_its_dead_self(app_ctx, clock):
    dead = subprocess.Popen(["true"])  # a process of this host that has ended
    dead.wait()
    here = socket.gethostname()
    assert scheduler.hold(f"{here}:{dead.pid}:old")
    assert scheduler.hold(f"{here}:{os.getpid()}:new")  # at once, not after the lease
    # A live holder on this host (this process), or any on another host, is waited out.
    assert not scheduler.hold(f"{here}:{dead.pid}:third")
    SchedulerLease.update(holder=f"elsewhere:{dead.pid}:x").execute()
    assert not scheduler.hold(f"{here}:{os.getpid()}:new")


def test_a_consumer_without_the_lease_enqueues_no_periodic_task(app, clock, monkeypatch):
    monkeypatch.setattr(queue._Consumer, "app", app)
    monkeypatch.setattr(huey, "_holder", "this-one")
    names = {task.name for task in huey.read_periodic(NOW)}
    assert {"deliver_outbox", "run_monthly_jobs", "check_waiting_work"} <= names
    with app.app_context():
        assert scheduler.current().holder == "this-one"
        SchedulerLease.update(holder="another").execute()
    assert huey.read_periodic(NOW + timedelta(minutes=1)) == []


def test_the_jobs_page_names_the_consumer_that_schedules(app, client, auth, teacher, clock):
    auth.login()  # Russian: a new install's default
    page = client.get("/teacher/jobs").text
    assert "Сейчас задачи не запускает ни один обработчик очереди" in page
    with app.app_context():
        scheduler.hold("worker-2.internal:4711:a1b2c3")
    page = client.get("/teacher/jobs").text
    assert "Задачи запускает обработчик очереди на сервере worker-2.internal с 6 дек. 2026\u202fг., 13:00" \
        in page
