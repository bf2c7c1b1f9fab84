"""The DaData client against a local fake of the suggestions API."""
import threading

import pytest
import requests
from werkzeug import Response

from tutor.integrations.dadata import DadataError, suggest_fio

PATH = "/suggestions/api/4_1/rs/suggest/fio"
HEADERS = {"Authorization": "Token k", "Content-Type": "application/json",
           "Accept": "application/json"}


def suggestion(value, surname=None, name=None, gender="UNKNOWN"):
    return {"value": value, "unrestricted_value": value,
            "data": {"surname": surname, "name": name, "patronymic": None,
                     "gender": gender, "source": None, "qc": "0"}}


@pytest.fixture
def base_url(httpserver):
    return httpserver.url_for("").rstrip("/")


@pytest.mark.parametrize("part, parts, suggestions, expected", [
    ("name", ["NAME"],
     [suggestion("Иван", name="Иван", gender="MALE"), suggestion("Ивета", name="Ивета")],
     ["Иван", "Ивета"]),
    ("surname", ["SURNAME"],
     [suggestion("Иванов", surname="Иванов"), suggestion("Иванова", surname="Иванова")],
     ["Иванов", "Иванова"]),
])
def test_suggests_the_asked_part(httpserver, base_url, part, parts, suggestions, expected):
    httpserver.expect_request(
        PATH, method="POST", headers=HEADERS, json={"query": "Ив", "count": 5, "parts": parts},
    ).respond_with_json({"suggestions": suggestions})

    assert suggest_fio("Ив", part, api_key="k", base_url=base_url) == expected
    assert len(httpserver.log) == 1


def test_prefers_the_part_over_the_whole_value(httpserver, base_url):
    httpserver.expect_request(PATH, method="POST").respond_with_json({"suggestions": [
        suggestion("Петров Иван", surname="Петров", name="Иван"),
        {"value": "Ирина", "data": None},
        {"value": "Инна"},
    ]})

    assert suggest_fio("И", "name", api_key="k", base_url=base_url) == ["Иван", "Ирина", "Инна"]


def test_returns_distinct_values_at_most_count(httpserver, base_url):
    httpserver.expect_request(
        PATH, method="POST", json={"query": "Ан", "count": 2, "parts": ["NAME"]},
    ).respond_with_json({"suggestions": [
        suggestion("Анна", name="Анна"), suggestion("Анна", name="Анна"),
        suggestion("Антон", name="Антон"), suggestion("Анастасия", name="Анастасия"),
    ]})

    assert suggest_fio("Ан", "name", api_key="k", base_url=base_url, count=2) == ["Анна", "Антон"]


def test_query_is_stripped_and_cut_and_count_capped(httpserver, base_url):
    httpserver.expect_request(
        PATH, method="POST", json={"query": "я" * 100, "count": 20, "parts": ["SURNAME"]},
    ).respond_with_json({"suggestions": []})

    assert suggest_fio("  " + "я" * 150 + "  ", "surname", api_key="k", base_url=base_url,
                       count=50) == []
    assert len(httpserver.log) == 1


def test_uses_the_given_session(httpserver, base_url):
    session = requests.Session()
    session.headers["User-Agent"] = "tutor-tests"
    httpserver.expect_request(
        PATH, method="POST", headers={"User-Agent": "tutor-tests"},
    ).respond_with_json({"suggestions": [suggestion("Олег", name="Олег")]})

    assert suggest_fio("Ол", "name", api_key="k", base_url=base_url, session=session) == ["Олег"]


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_makes_no_request(httpserver, base_url, query):
    assert suggest_fio(query, "name", api_key="k", base_url=base_url) == []
    assert httpserver.log == []


def test_unknown_part_is_a_programming_error(base_url):
    with pytest.raises(ValueError):
        suggest_fio("Ив", "patronymic", api_key="k", base_url=base_url)


@pytest.mark.parametrize("status", [400, 401, 403, 413, 429, 500, 503])
def test_error_status_raises(httpserver, base_url, status):
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"family": "CLIENT_ERROR", "reason": "Bad Request"}, status=status)

    with pytest.raises(DadataError):
        suggest_fio("Ив", "name", api_key="k", base_url=base_url)


@pytest.mark.parametrize("body, content_type", [
    ("not json", "application/json"),
    ("<html><body>502 Bad Gateway</body></html>", "text/html"),
    ("", "application/json"),
])
def test_invalid_json_raises(httpserver, base_url, body, content_type):
    httpserver.expect_request(PATH, method="POST").respond_with_data(body,
                                                                     content_type=content_type)

    with pytest.raises(DadataError):
        suggest_fio("Ив", "name", api_key="k", base_url=base_url)


@pytest.mark.parametrize("payload", [
    [],
    {},
    {"suggestions": None},
    {"suggestions": {"value": "Иван"}},
    {"suggestions": ["Иван"]},
    {"suggestions": [{"data": {"name": None}}]},
    {"suggestions": [{"value": 42, "data": {}}]},
])
def test_unexpected_shape_raises(httpserver, base_url, payload):
    httpserver.expect_request(PATH, method="POST").respond_with_json(payload)

    with pytest.raises(DadataError):
        suggest_fio("Ив", "name", api_key="k", base_url=base_url)


def test_slow_service_raises(httpserver, base_url):
    release, finished = threading.Event(), threading.Event()

    def slow(request):
        release.wait(0.5)
        response = Response('{"suggestions": []}', content_type="application/json")
        response.call_on_close(finished.set)
        return response

    httpserver.expect_request(PATH, method="POST").respond_with_handler(slow)

    with pytest.raises(DadataError):
        suggest_fio("Ив", "name", api_key="k", base_url=base_url, timeout=0.1)
    # The fake server answers one request at a time: let it finish this one, or its log
    # entry could land in the next test's.
    release.set()
    assert finished.wait(5)


def test_refused_connection_raises(closed_port_url):
    with pytest.raises(DadataError):
        suggest_fio("Ив", "name", api_key="k", base_url=closed_port_url)
