"""The Mailgun client against a local fake of the messages and Logs APIs."""
import base64
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from werkzeug import Response

from tests.fake_mailgun import FakeMailgun
from tutor.integrations.mailgun import Attachment, MailgunError, accepted, send_message

PATH = "/v3/mg.example.com/messages"
QUEUED = {"id": "<20260601093000.1.ABCDEF@mg.example.com>", "message": "Queued. Thank you."}


@pytest.fixture
def base_url(httpserver):
    return httpserver.url_for("").rstrip("/")


@pytest.fixture(autouse=True)
def close_uploads(httpserver):
    # werkzeug spools uploaded files to temporary files that only close with the request.
    yield
    for request, _ in httpserver.log:
        request.close()


def send(base_url, **overrides):
    message = {"domain": "mg.example.com", "api_key": "key-1", "base_url": base_url,
               "sender": "Репетитор <noreply@mg.example.com>", "to": "maria@example.com",
               "subject": "Занятие подтверждено", "text": "Здравствуйте, Мария!", **overrides}
    return send_message(**message)


def the_request(httpserver):
    assert len(httpserver.log) == 1
    request, _ = httpserver.log[0]
    return request


def test_sends_the_message_and_returns_its_id(httpserver, base_url):
    basic = base64.b64encode(b"api:key-1").decode()
    httpserver.expect_request(PATH, method="POST", headers={"Authorization": f"Basic {basic}"}
                              ).respond_with_json(QUEUED)

    message_id = send(base_url, html="<p>Здравствуйте, <b>Мария</b>!</p>",
                      reply_to="Анна <anna@example.com>", tag="lesson_confirmed",
                      variables={"outbox_id": 7, "kind": "lesson_confirmed"})

    assert message_id == QUEUED["id"]
    request = the_request(httpserver)
    assert request.mimetype == "multipart/form-data"
    assert request.form.to_dict(flat=False) == {
        "from": ["Репетитор <noreply@mg.example.com>"],
        "to": ["maria@example.com"],
        "subject": ["Занятие подтверждено"],
        "text": ["Здравствуйте, Мария!"],
        "html": ["<p>Здравствуйте, <b>Мария</b>!</p>"],
        "h:Reply-To": ["Анна <anna@example.com>"],
        "o:tag": ["lesson_confirmed"],
        "v:outbox_id": ["7"],
        "v:kind": ["lesson_confirmed"],
    }
    assert not request.files


def test_sends_only_the_fields_given(httpserver, base_url):
    httpserver.expect_request(PATH, method="POST").respond_with_json(QUEUED)

    send(base_url)

    request = the_request(httpserver)
    assert request.mimetype == "multipart/form-data"
    assert sorted(request.form) == ["from", "subject", "text", "to"]


def test_attachments_are_files_named_attachment(httpserver, base_url):
    httpserver.expect_request(PATH, method="POST").respond_with_json(QUEUED)

    send(base_url, attachments=[
        Attachment("Отчёт за май.pdf", b"%PDF-1.7\x00\xff", "application/pdf"),
        Attachment("lessons.csv", "дата;ученик\r\n".encode()),
    ])

    files = the_request(httpserver).files.getlist("attachment")
    assert [(f.filename, f.mimetype, f.read()) for f in files] == [
        ("Отчёт за май.pdf", "application/pdf", b"%PDF-1.7\x00\xff"),
        ("lessons.csv", "application/octet-stream", "дата;ученик\r\n".encode()),
    ]


def test_uses_the_given_session(httpserver, base_url):
    session = requests.Session()
    session.headers["User-Agent"] = "tutor-tests"
    httpserver.expect_request(PATH, method="POST", headers={"User-Agent": "tutor-tests"}
                              ).respond_with_json(QUEUED)

    assert send(base_url, session=session) == QUEUED["id"]


@pytest.mark.parametrize("status, body, reason, permanent", [
    (400, {"message": "to parameter is not a valid address. please check documentation"},
     "not a valid address", True),
    (401, "Forbidden", "Forbidden", True),
    (402, {"message": "Request failed"}, "Request failed", True),
    (404, {"message": "Domain not found: mg.example.com"}, "Domain not found", True),
    (413, {"message": "Message size exceeds the limit"}, "size exceeds", True),
    (408, "Request Timeout", "Request Timeout", False),
    (429, {"message": "Too many requests"}, "Too many requests", False),
    (500, {"message": "Internal Server Error"}, "Internal Server Error", False),
    (502, "<html><body>502 Bad Gateway</body></html>", "502 Bad Gateway", False),
    (503, "", "", False),
])
def test_error_status_says_whether_to_retry(httpserver, base_url, status, body, reason,
                                            permanent):
    response = httpserver.expect_request(PATH, method="POST")
    if isinstance(body, dict):
        response.respond_with_json(body, status=status)
    else:
        response.respond_with_data(body, status=status, content_type="text/plain")

    with pytest.raises(MailgunError) as caught:
        send(base_url)

    assert (caught.value.permanent, caught.value.status) == (permanent, status)
    assert str(status) in str(caught.value) and reason in str(caught.value)


@pytest.mark.parametrize("body, content_type", [
    ("Queued. Thank you.", "text/plain"),
    ("{}", "application/json"),
    ('{"id": "", "message": "Queued. Thank you."}', "application/json"),
    ('{"id": 42}', "application/json"),
    ('["<1@mg.example.com>"]', "application/json"),
])
def test_accepted_without_an_id_is_not_retried(httpserver, base_url, body, content_type):
    httpserver.expect_request(PATH, method="POST").respond_with_data(body,
                                                                     content_type=content_type)

    with pytest.raises(MailgunError) as caught:
        send(base_url)

    assert caught.value.permanent is True and caught.value.status == 200


def test_slow_service_is_worth_retrying(httpserver, base_url):
    release, finished = threading.Event(), threading.Event()

    def slow(request):
        release.wait(0.5)
        response = Response('{"id": "<1@mg.example.com>"}', content_type="application/json")
        response.call_on_close(finished.set)
        return response

    httpserver.expect_request(PATH, method="POST").respond_with_handler(slow)

    with pytest.raises(MailgunError) as caught:
        send(base_url, timeout=0.1)
    assert caught.value.permanent is False and caught.value.status is None
    # The fake server answers one request at a time: let it finish this one, or its log
    # entry could land in the next test's.
    release.set()
    assert finished.wait(5)


def test_refused_connection_is_worth_retrying(closed_port_url):
    with pytest.raises(MailgunError) as caught:
        send(closed_port_url)

    assert caught.value.permanent is False and caught.value.status is None


# --- a Message-Id of our own, and asking whether Mailgun has accepted it -------------

LOGS = "/v1/analytics/logs"  # the Logs API, which replaced the deprecated events API
MESSAGE_ID = "<outbox.7.0123456789abcdef0123@mg.example.com>"


def accepted_event(message_id, event="accepted", domain="mg.example.com"):
    return {"id": "JDhSWf9mT5OFxCkZfpDU5d", "event": event,
            "@timestamp": "2026-11-24T11:59:58.530Z", "account": {"id": "12345"},
            "domain": {"name": domain}, "recipient": "maria@example.com",
            "recipient-domain": "example.com",
            "message": {"headers": {"message-id": message_id, "to": "maria@example.com",
                                    "from": "noreply@mg.example.com", "subject": "Занятие"},
                        "size": 1234}}


def paged(*items):
    return {"start": "Mon, 23 Nov 2026 12:00:00 -0000", "end": "Tue, 24 Nov 2026 12:00:00 -0000",
            "items": list(items),
            "pagination": {"previous": "cjsijbijewbu78t678tVTYUYU76754fyuiksi23h75",
                           "next": "cjsijbijewbu78t678tVTYUYU76754fyuiksin98hh",
                           "first": "cjsijbijewbu78t678tVTYUYU76754fyuiksin865g",
                           "last": "875bunjnWkmis75bjklnsdk0s7jksnjknlknc64aTR", "total": 1},
            "aggregates": {}}


def ask(base_url, message_id=MESSAGE_ID, **kwargs):
    return accepted(domain="mg.example.com", api_key="key-1", base_url=base_url,
                    message_id=message_id, **kwargs)


def test_the_message_id_goes_as_a_header(httpserver, base_url):
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"id": MESSAGE_ID, "message": "Queued. Thank you."})

    assert send(base_url, message_id=MESSAGE_ID) == MESSAGE_ID
    assert the_request(httpserver).form["h:Message-Id"] == MESSAGE_ID


def test_accepted_asks_the_logs_api_by_domain_and_message_id(httpserver, base_url):
    basic = base64.b64encode(b"api:key-1").decode()
    httpserver.expect_request(LOGS, method="POST", headers={"Authorization": f"Basic {basic}"}
                              ).respond_with_json(paged(accepted_event(MESSAGE_ID.strip("<>"))))
    since = datetime(2026, 11, 24, 11, 55, tzinfo=timezone.utc)

    assert ask(base_url, since=since, now=since + timedelta(minutes=35)) is True
    query = the_request(httpserver).get_json()
    assert query["start"] == "Tue, 24 Nov 2026 11:55:00 -0000"
    assert query["end"] == "Tue, 24 Nov 2026 12:30:00 -0000"
    assert query["events"] == ["accepted"]
    assert query["filter"] == {"AND": [
        {"attribute": "domain", "comparator": "=",
         "values": [{"label": "mg.example.com", "value": "mg.example.com"}]},
        {"attribute": "message-id", "comparator": "=",
         "values": [{"label": MESSAGE_ID.strip("<>"), "value": MESSAGE_ID.strip("<>")}]}]}


@pytest.mark.parametrize("items", [
    [],
    [accepted_event("outbox.8.ffff@mg.example.com")],  # another message
    [accepted_event(MESSAGE_ID.strip("<>"), event="rejected")],
    [accepted_event(MESSAGE_ID.strip("<>"), domain="other.example.com")],  # filter ignored
    ["accepted"],
])
def test_accepted_is_false_without_an_accepted_event_for_the_message(httpserver, base_url,
                                                                     items):
    httpserver.expect_request(LOGS, method="POST").respond_with_json(paged(*items))

    assert ask(base_url) is False


@pytest.mark.parametrize("status, body", [
    (401, "Forbidden"),
    (500, '{"message": "Internal Server Error"}'),
    (200, '{"message": "no items here"}'),
    (200, "<html>maintenance</html>"),
])
def test_accepted_raises_when_mailgun_cannot_say(httpserver, base_url, status, body):
    httpserver.expect_request(LOGS, method="POST").respond_with_data(body, status=status)

    with pytest.raises(MailgunError) as caught:
        ask(base_url)
    assert caught.value.permanent is False


def test_accepted_with_mailgun_unreachable_raises(closed_port_url):
    with pytest.raises(MailgunError):
        ask(closed_port_url)


def test_the_fake_answers_what_it_accepted(httpserver, base_url):
    fake = FakeMailgun(httpserver)
    assert send(base_url, message_id=MESSAGE_ID) == MESSAGE_ID
    assert ask(base_url) is True
    assert ask(base_url, message_id="<outbox.8.ffff@mg.example.com>") is False


@pytest.mark.parametrize("status, maybe_sent", [(503, False), (500, False), (429, False),
                                                (400, False), (504, True)])
def test_an_answer_says_whether_mailgun_may_have_queued_it(httpserver, base_url, status,
                                                           maybe_sent):
    httpserver.expect_request(PATH, method="POST").respond_with_data("no", status=status)

    with pytest.raises(MailgunError) as caught:
        send(base_url)
    assert caught.value.maybe_sent is maybe_sent


def test_a_refused_connection_never_reached_mailgun(closed_port_url):
    with pytest.raises(MailgunError) as caught:
        send(closed_port_url)
    assert caught.value.maybe_sent is False


def test_no_answer_in_time_may_have_been_queued(httpserver, base_url):
    release, finished = threading.Event(), threading.Event()

    def slow(request):
        release.wait(0.5)
        response = Response(f'{{"id": "{MESSAGE_ID}"}}', content_type="application/json")
        response.call_on_close(finished.set)
        return response

    httpserver.expect_request(PATH, method="POST").respond_with_handler(slow)

    with pytest.raises(MailgunError) as caught:
        send(base_url, timeout=0.1)
    assert caught.value.maybe_sent is True
    release.set()
    assert finished.wait(5)
