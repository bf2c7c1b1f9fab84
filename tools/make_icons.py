"""Draw the PNG icons a phone's home screen asks for, from the same design as
static/favicon.svg (a white "T" on the brand blue). Run it after changing that design:

    .venv/bin/python tools/make_icons.py

and commit the files it writes to static/icons/. Pillow comes with WeasyPrint."""
from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (47, 95, 208)  # #2f5fd0, the favicon's and the manifest's theme colour
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
SCALE = 4  # drawn larger, then scaled down: smooth edges without a font or SVG renderer


def draw(size, rounded, padding):
    """The favicon's 32-unit drawing at `size` px. `rounded`: the favicon's round
    corners (transparent outside); else a full square (iOS and maskable icons get their
    shape from the system). `padding`: a share of the size kept clear around the "T"
    (a maskable icon's safe zone is the inner 80%)."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0) if rounded else BLUE + (255,))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 7 // 32, fill=BLUE)
    unit = big * (1 - 2 * padding) / 32
    offset = big * padding

    def at(x, y):
        return offset + x * unit, offset + y * unit

    width = round(3.5 * unit)
    for start, end in (((8, 10), (24, 10)), ((16, 10), (16, 23))):
        pen.line((*at(*start), *at(*end)), fill=WHITE, width=width)
        for x, y in (start, end):  # round caps, as stroke-linecap="round"
            cx, cy = at(x, y)
            pen.ellipse((cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2),
                        fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


ICONS = {
    "icon-192.png": (192, True, 0),
    "icon-512.png": (512, True, 0),
    "icon-maskable-512.png": (512, False, 0.12),
    "apple-touch-icon.png": (180, False, 0.06),
}


def main():
    OUT.mkdir(exist_ok=True)
    for name, (size, rounded, padding) in ICONS.items():
        image = draw(size, rounded, padding)
        if not rounded:
            image = image.convert("RGB")  # iOS shows transparency as black
        image.save(OUT / name, optimize=True)
        print(OUT / name)


if __name__ == "__main__":
    main()
