"""Fixtures the clients' tests share."""
import socket

import pytest


@pytest.fixture
def closed_port():
    """A port bound but never listening: connecting is refused, and no one else can
    take the port while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port_url(closed_port):
    return f"http://127.0.0.1:{closed_port}"
