"""Yandex.Metrika under the CSP, when a counter is set: the tag (served here by a fake
of mc.yandex.ru and yastatic.net) loads, gets its init call, and does what the real
one does — a script from yastatic.net, beacons, the pixel, Webvisor's socket and a
blob frame — without one CSP violation (any would fail the test as a console error).
Without a counter there is no tag at all."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# What the real tag does, in miniature; it reports through window.metrikaSeen.
FAKE_TAG = """
window.metrikaSeen = {init: (window.ym.a || []).map(function (call) { return [call[0], call[1]]; })};
var helper = document.createElement("script");
helper.src = "https://yastatic.net/s3/metrika/helper.js";
document.head.appendChild(helper);
fetch("https://mc.yandex.ru/watch/98765?beacon=1", {method: "POST", body: "hit"})
  .then(function (answer) { window.metrikaSeen.beacon = answer.status; });
var pixel = new Image();
pixel.onload = function () { window.metrikaSeen.pixel = true; };
pixel.src = "https://mc.yandex.ru/watch/98765/1";
var socket = new WebSocket("wss://mc.yandex.ru/solid.ws?wv-type=0");
socket.onopen = function () { window.metrikaSeen.socket = true; };
var frame = document.createElement("iframe");
frame.onload = function () { window.metrikaSeen.frame = true; };
frame.src = URL.createObjectURL(new Blob(["<p>map</p>"], {type: "text/html"}));
frame.hidden = true;
document.body.appendChild(frame);
"""
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c"
                      "00000000010001000002024401003b")  # a 1x1 GIF


def fake_yandex(page):
    hosts = []

    def answer(route):
        url = route.request.url
        hosts.append(url.split("/")[2])
        if url.endswith("/metrika/tag.js"):
            route.fulfill(body=FAKE_TAG, content_type="application/javascript")
        elif "yastatic.net" in url:
            route.fulfill(body="window.metrikaSeen.helper = true;",
                          content_type="application/javascript")
        elif "/watch/" in url and route.request.method == "GET":
            route.fulfill(body=PIXEL, content_type="image/gif")
        else:
            route.fulfill(status=200, body="", headers={"Access-Control-Allow-Origin": "*"})

    page.route("https://mc.yandex.ru/**", answer)
    page.route("https://yastatic.net/**", answer)
    page.route_web_socket("wss://mc.yandex.ru/**", lambda socket: None)
    return hosts


@pytest.mark.config(YANDEX_METRIKA_ID="98765")
def test_the_counter_runs_under_the_csp(page, live_server, teacher):
    hosts = fake_yandex(page)
    page.goto(live_server + "/")
    page.wait_for_function("() => window.metrikaSeen && window.metrikaSeen.helper"
                           " && window.metrikaSeen.beacon && window.metrikaSeen.pixel"
                           " && window.metrikaSeen.socket && window.metrikaSeen.frame")
    assert page.evaluate("window.metrikaSeen.init") == [[98765, "init"]]
    assert {"mc.yandex.ru", "yastatic.net"} <= set(hosts)
    # Without JavaScript the pixel is in <noscript>, pointed at the counter.
    assert 'src="https://mc.yandex.ru/watch/98765"' in page.content()


def test_no_counter_no_tag(page, live_server, teacher):
    hosts = fake_yandex(page)
    page.goto(live_server + "/")
    expect(page.locator("main")).to_be_visible()
    assert page.evaluate("typeof window.ym") == "undefined"
    assert hosts == []
