"""The palette's contrast, computed from the stylesheet itself: every colour is a
custom property in static/css/tutor.css's :root (and nowhere else), and each pair of
text and background the pages use meets its ratio (WCAG 2.2): 7:1 (AAA) for body text
and links, 4.5:1 for any other text, 3:1 for the edges that mark fields, focus and
lesson states."""
import re
from pathlib import Path

import pytest

STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "css" / "tutor.css"
STATES = ("free", "pending", "confirmed", "own", "busy", "past", "cancelled")
SURFACES = ("paper", "wash")
AAA, AA, NON_TEXT = 7.0, 4.5, 3.0

# (text or mark, background, minimum): what the pages put on what.
PAIRS = [
    *((fg, bg, AAA) for fg in ("ink", "muted", "link") for bg in SURFACES),
    ("link", "warn-wash", AAA),  # the channel banner's link
    ("link", "bad-wash", AAA),
    ("ink", "warn-wash", AAA),
    ("ink", "bad-wash", AAA),
    ("ink", "accent-soft", AAA),  # subject tags
    ("accent", "accent-soft", AA),  # initials in place of a photo
    ("accent-ink", "accent", AAA),  # primary buttons, badges
    ("paper", "ink", AAA),  # the chosen language, toasts
    ("ok-ink", "ok", AA), ("warn-ink", "warn", AA), ("bad-ink", "bad", AA),
    *((colour, bg, AA) for colour in ("ok", "warn", "bad", "star") for bg in SURFACES),
    ("bad", "bad-wash", AA),
    ("ink", "state-free-hover", AAA),
    *((f"state-{state}-ink", f"state-{state}-bg", AAA) for state in STATES),
    *(("muted", f"state-{state}-bg", AA) for state in STATES),  # "free", "awaiting…"
    *((f"state-{state}-edge", "paper", NON_TEXT) for state in STATES),
    *((f"state-{state}-edge", f"state-{state}-bg", NON_TEXT) for state in STATES),
    *(("edge", bg, NON_TEXT) for bg in SURFACES),  # field borders
    *(("focus", bg, NON_TEXT) for bg in (*SURFACES, "accent-soft")),
]


def root_properties(css):
    block = re.search(r":root\s*{(.*?)\n}", css, re.S).group(1)
    block = re.sub(r"/\*.*?\*/", "", block, flags=re.S)
    return dict(re.findall(r"--([\w-]+):\s*([^;]+);", block))


def colour(properties, name, seen=()):
    value = properties[name].strip()
    reference = re.fullmatch(r"var\(--([\w-]+)\)", value)
    if reference:
        assert reference.group(1) not in seen, f"--{name} refers to itself"
        return colour(properties, reference.group(1), (*seen, name))
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", value), f"--{name}: {value} is not #rrggbb"
    return value


def luminance(hex_colour):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def palette():
    return root_properties(STYLESHEET.read_text())


def test_the_ratio_is_computed_as_wcag_does():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the famous miss
    assert contrast("#ffffff", "#767676") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("foreground, background, minimum", PAIRS,
                         ids=[f"{fg}-on-{bg}" for fg, bg, _ in PAIRS])
def test_each_pair_meets_its_ratio(palette, foreground, background, minimum):
    ratio = contrast(colour(palette, foreground), colour(palette, background))
    assert ratio >= minimum, f"--{foreground} on --{background}: {ratio:.2f}:1 < {minimum}:1"


def test_every_lesson_state_has_its_colours(palette):
    for state in STATES:
        for part in ("bg", "edge", "ink"):
            assert f"state-{state}-{part}" in palette, f"--state-{state}-{part} is missing"


def test_colours_live_in_the_custom_properties_only():
    """A colour written outside :root would escape these checks."""
    css = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(), flags=re.S)
    outside = css[re.search(r":root\s*{.*?\n}", css, re.S).end():]
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b", outside) == []
    named = re.findall(r"(?<![\w-])(?:color|background(?:-color)?|border(?:-[a-z]+)?):\s*"
                       r"(white|black|red|green|blue|gray|grey)\b", outside)
    assert named == []


def test_the_checks_see_a_bad_pair():
    assert contrast("#5b6475", "#f4f6fa") < AAA  # the old muted grey on the page
    with pytest.raises(AssertionError):
        colour({"a": "var(--a)"}, "a")
