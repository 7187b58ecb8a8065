"""Synthetic photos for the demo: a plausible street scene per report category, drawn from simple shapes.

Pure and deterministic (same category and seed, same bytes), so the demo seeds identically every time and
the photos go through the real upload pipeline like any phone photo would.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

Color = tuple[int, int, int]
WIDTH, HEIGHT = 960, 720
HORIZON = 300  # y of the horizon line in every street scene


def demo_photo(category: str, seed: int) -> bytes:
    """A JPEG of a scene for `category` (unknown categories get a plain street)."""
    rng = random.Random(f"{category}:{seed}")
    night = category in {"street_light", "crime"} or rng.random() < 0.08
    image = _sky(rng, night)
    draw = ImageDraw.Draw(image)
    _buildings(draw, rng, night)
    _SCENES.get(category, _street)(draw, rng)
    # A touch of sensor noise and softness so the photo is not a flat vector drawing.
    # (Image.effect_noise is not seedable, so the noise comes from rng.)
    noise = Image.frombytes("L", (WIDTH, HEIGHT), rng.randbytes(WIDTH * HEIGHT)).convert("RGB")
    image = Image.blend(image, noise, 0.05).filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _gradient(top: Color, bottom: Color, height: int) -> Image.Image:
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return column.resize((WIDTH, height))


def _sky(rng: random.Random, night: bool) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), (90, 90, 90))
    if night:
        top, bottom = (8, 12, 35), (45, 45, 70)
    elif rng.random() < 0.4:  # Jakarta's grey rainy-season sky
        top, bottom = (120, 128, 140), (180, 184, 190)
    else:
        top, bottom = (70, 140, 215), (190, 215, 235)
    image.paste(_gradient(top, bottom, HORIZON), (0, 0))
    return image


def _buildings(draw: ImageDraw.ImageDraw, rng: random.Random, night: bool) -> None:
    x = -20
    while x < WIDTH:
        w, h = rng.randint(60, 160), rng.randint(60, 240)
        shade = rng.randint(60, 140) if not night else rng.randint(20, 45)
        tint = (shade + rng.randint(-10, 20), shade, shade - rng.randint(0, 20))
        draw.rectangle((x, HORIZON - h, x + w, HORIZON), fill=tint)
        for wy in range(HORIZON - h + 10, HORIZON - 15, 22):
            for wx in range(x + 8, x + w - 12, 20):
                lit = night and rng.random() < 0.35
                draw.rectangle((wx, wy, wx + 9, wy + 12), fill=(240, 210, 120) if lit else _darker(tint, 25))
        x += w + rng.randint(0, 12)


def _darker(color: Color, by: int) -> Color:
    r, g, b = color
    return (max(0, r - by), max(0, g - by), max(0, b - by))


def _road(draw: ImageDraw.ImageDraw, color: Color = (70, 70, 74)) -> None:
    draw.rectangle((0, HORIZON, WIDTH, HEIGHT), fill=(150, 145, 130))  # pavement
    draw.polygon([(WIDTH * 0.42, HORIZON), (WIDTH * 0.58, HORIZON), (WIDTH, HEIGHT), (0, HEIGHT)], fill=color)
    for i in range(6):  # centre dashes, longer as they come closer
        t0, t1 = (i / 6) ** 1.6, ((i + 0.5) / 6) ** 1.6
        y0, y1 = HORIZON + (HEIGHT - HORIZON) * t0, HORIZON + (HEIGHT - HORIZON) * t1
        half0, half1 = 1 + 6 * t0, 1 + 6 * t1
        cx = WIDTH / 2
        draw.polygon(
            [(cx - half0, y0), (cx + half0, y0), (cx + half1, y1), (cx - half1, y1)], fill=(235, 235, 225)
        )


def _car(draw: ImageDraw.ImageDraw, x: float, y: float, scale: float, color: Color) -> None:
    w, h = 150 * scale, 60 * scale
    draw.rounded_rectangle((x, y - h, x + w, y), radius=int(10 * scale), fill=color)
    draw.polygon(
        [
            (x + w * 0.2, y - h),
            (x + w * 0.3, y - h * 1.6),
            (x + w * 0.75, y - h * 1.6),
            (x + w * 0.85, y - h),
        ],
        fill=_darker(color, 30),
    )
    draw.polygon(
        [
            (x + w * 0.3, y - h * 1.05),
            (x + w * 0.36, y - h * 1.5),
            (x + w * 0.7, y - h * 1.5),
            (x + w * 0.78, y - h * 1.05),
        ],
        fill=(150, 180, 200),
    )
    for wx in (x + w * 0.22, x + w * 0.78):
        r = 16 * scale
        draw.ellipse((wx - r, y - r, wx + r, y + r), fill=(25, 25, 25))
    draw.rectangle((x + w - 10 * scale, y - h * 0.7, x + w, y - h * 0.5), fill=(220, 40, 30))


def _cars(draw: ImageDraw.ImageDraw, rng: random.Random, count: int) -> None:
    palette = [(200, 200, 205), (30, 30, 35), (180, 30, 30), (240, 240, 240), (40, 70, 150), (120, 120, 120)]
    slots = sorted(rng.uniform(0.15, 1.0) for _ in range(count))
    for t in slots:
        y = HORIZON + (HEIGHT - HORIZON) * t
        scale = 0.25 + 1.1 * t
        x = WIDTH / 2 + rng.uniform(-0.55, 0.35) * WIDTH * t - 75 * scale
        _car(draw, x, y, scale, rng.choice(palette))


def _motorbikes(draw: ImageDraw.ImageDraw, rng: random.Random, count: int) -> None:
    for _ in range(count):
        t = rng.uniform(0.3, 1.0)
        y = HORIZON + (HEIGHT - HORIZON) * t
        s = 0.4 + t
        x = rng.uniform(0, WIDTH)
        for dx in (-18 * s, 18 * s):
            draw.ellipse((x + dx - 9 * s, y - 9 * s, x + dx + 9 * s, y + 9 * s), fill=(20, 20, 20))
        draw.rectangle(
            (x - 14 * s, y - 22 * s, x + 14 * s, y - 8 * s), fill=rng.choice([(200, 0, 0), (20, 20, 90)])
        )
        draw.ellipse((x - 7 * s, y - 48 * s, x + 7 * s, y - 34 * s), fill=(240, 240, 240))  # helmet
        draw.rectangle((x - 6 * s, y - 34 * s, x + 6 * s, y - 20 * s), fill=(60, 90, 60))


def _vehicles_on_road(
    draw: ImageDraw.ImageDraw, rng: random.Random, cars: tuple[int, int], motorbikes: tuple[int, int]
) -> None:
    """A street and a traffic jam are one scene; only how many cars and motorbikes (ranges) differ."""
    _road(draw)
    _cars(draw, rng, rng.randint(*cars))
    _motorbikes(draw, rng, rng.randint(*motorbikes))


def _street(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _vehicles_on_road(draw, rng, cars=(1, 3), motorbikes=(1, 4))


def _flood(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw)
    level = HORIZON + rng.randint(-20, 40)
    water = (120 + rng.randint(-15, 15), 105 + rng.randint(-10, 10), 70)  # Jakarta flood water is brown
    draw.rectangle((0, level, WIDTH, HEIGHT), fill=water)
    for _ in range(60):  # ripples
        y = rng.uniform(level + 5, HEIGHT)
        x = rng.uniform(0, WIDTH)
        length = 10 + (y - level) * 0.25
        draw.line((x, y, x + length, y), fill=_darker(water, -35), width=2)
    for _ in range(rng.randint(0, 2)):  # a car stuck to its doors
        x, scale = rng.uniform(50, WIDTH - 250), rng.uniform(0.7, 1.2)
        _car(draw, x, level + 70 * scale, scale, (200, 200, 205))
        draw.rectangle((x - 5, level + 45 * scale, x + 160 * scale, level + 75 * scale), fill=water)
    for _ in range(rng.randint(1, 3)):  # people wading
        x, y = rng.uniform(40, WIDTH - 40), rng.uniform(level + 40, HEIGHT - 40)
        draw.ellipse((x - 10, y - 95, x + 10, y - 75), fill=(120, 80, 60))
        draw.rectangle((x - 14, y - 75, x + 14, y - 20), fill=rng.choice([(30, 80, 160), (200, 200, 60)]))


def _traffic(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _vehicles_on_road(draw, rng, cars=(7, 12), motorbikes=(6, 14))


def _garbage(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw)
    cx, cy = rng.uniform(250, 700), rng.uniform(520, 620)
    draw.ellipse((cx - 260, cy - 90, cx + 260, cy + 70), fill=(70, 60, 45))
    colors = [(20, 20, 20), (230, 230, 230), (40, 110, 200), (220, 60, 40), (230, 200, 60), (60, 140, 60)]
    for _ in range(140):  # bags, bottles and wrappers
        x, y = cx + rng.gauss(0, 120), cy + rng.gauss(-20, 35)
        r = rng.uniform(8, 30)
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), fill=rng.choice(colors))
        else:
            draw.rectangle((x - r * 0.4, y - r, x + r * 0.4, y), fill=rng.choice(colors))


def _crime(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw, (40, 40, 45))
    draw.rectangle((0, HORIZON, WIDTH, HEIGHT), fill=(25, 25, 30), outline=None)
    draw.polygon([(380, HORIZON), (580, HORIZON), (WIDTH, HEIGHT), (0, HEIGHT)], fill=(45, 45, 50))
    _motorbikes(draw, rng, 2)
    for _ in range(2):  # figures in the dark
        x = rng.uniform(150, WIDTH - 150)
        draw.ellipse((x - 14, 420, x + 14, 448), fill=(15, 15, 15))
        draw.rectangle((x - 20, 448, x + 20, 560), fill=(12, 12, 12))


def _road_damage(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw, (85, 85, 88))
    for _ in range(rng.randint(2, 5)):
        t = rng.uniform(0.35, 0.95)
        y = HORIZON + (HEIGHT - HORIZON) * t
        w = 60 + 220 * t * rng.uniform(0.6, 1.2)
        x = WIDTH / 2 + rng.uniform(-0.35, 0.35) * WIDTH * t
        draw.ellipse((x - w / 2, y - w / 6, x + w / 2, y + w / 6), fill=(45, 40, 35))
        draw.ellipse((x - w / 2.6, y - w / 9, x + w / 2.6, y + w / 9), fill=(95, 85, 60))  # puddle
    for _ in range(25):  # cracks
        x, y = rng.uniform(100, WIDTH - 100), rng.uniform(HORIZON + 60, HEIGHT)
        draw.line((x, y, x + rng.uniform(-60, 60), y + rng.uniform(-20, 20)), fill=(40, 40, 40), width=2)


def _street_light(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw, (30, 30, 34))
    for i, x in enumerate((160, 480, 800)):
        draw.rectangle((x - 5, 200, x + 5, 620), fill=(70, 70, 75))
        draw.line((x, 200, x + 60, 190), fill=(70, 70, 75), width=6)
        working = i != 1 or rng.random() < 0.2  # the middle one is the broken one
        draw.ellipse((x + 45, 185, x + 85, 205), fill=(255, 230, 150) if working else (50, 50, 50))
        if working:
            draw.polygon([(x + 50, 205), (x + 80, 205), (x + 160, 620), (x - 30, 620)], fill=(90, 85, 60))


def _illegal_parking(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw)
    draw.rectangle((0, 560, WIDTH, 600), fill=(200, 190, 40))  # yellow kerb
    sign_x = rng.uniform(100, 300)
    draw.rectangle((sign_x - 4, 330, sign_x + 4, 560), fill=(90, 90, 90))
    draw.ellipse((sign_x - 40, 290, sign_x + 40, 370), fill=(200, 30, 30))
    draw.ellipse((sign_x - 30, 300, sign_x + 30, 360), fill=(30, 60, 160))
    draw.line((sign_x - 22, 310, sign_x + 22, 350), fill=(200, 30, 30), width=8)
    for i in range(rng.randint(2, 4)):
        _car(draw, 60 + i * 220, 640, 1.1, rng.choice([(230, 230, 230), (30, 30, 30), (150, 20, 20)]))


def _fire(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw)
    base_x = rng.uniform(250, 700)
    for _ in range(30):  # smoke
        x, y, r = base_x + rng.gauss(0, 120), rng.uniform(20, 260), rng.uniform(40, 110)
        grey = rng.randint(60, 110)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(grey, grey, grey))
    for _ in range(45):  # flames
        x = base_x + rng.gauss(0, 110)
        h = rng.uniform(60, 200)
        w = rng.uniform(20, 50)
        color = rng.choice([(255, 120, 0), (255, 180, 0), (240, 60, 10), (255, 220, 80)])
        draw.polygon(
            [(x - w, HORIZON + 10), (x + w, HORIZON + 10), (x + rng.uniform(-15, 15), HORIZON - h)],
            fill=color,
        )


def _public_facility(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw)
    x = rng.uniform(80, 420)
    draw.rectangle((x, 330, x + 420, 350), fill=(30, 100, 160))  # bus stop roof
    for px in (x + 10, x + 400):
        draw.rectangle((px, 350, px + 10, 600), fill=(120, 120, 125))
    draw.rectangle((x + 60, 520, x + 360, 540), fill=(150, 100, 60))  # broken bench, one end down
    draw.polygon([(x + 360, 540), (x + 380, 600), (x + 340, 600)], fill=(150, 100, 60))
    for _ in range(8):  # broken glass
        gx, gy = x + rng.uniform(40, 380), rng.uniform(560, 640)
        draw.polygon([(gx, gy), (gx + 12, gy + 4), (gx + 4, gy + 10)], fill=(190, 220, 230))


def _drainage(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw)
    draw.polygon([(0, 470), (WIDTH, 430), (WIDTH, 520), (0, 600)], fill=(60, 55, 45))  # open gutter
    draw.polygon([(0, 500), (WIDTH, 450), (WIDTH, 505), (0, 580)], fill=(55, 70, 45))  # stagnant water
    for _ in range(40):
        x = rng.uniform(0, WIDTH)
        y = 500 - x * 0.05 + rng.uniform(5, 60)
        draw.ellipse(
            (x - 8, y - 5, x + 8, y + 5), fill=rng.choice([(230, 230, 230), (20, 20, 20), (200, 60, 40)])
        )


def _tree(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    _road(draw)
    x0, y0 = rng.uniform(0, 200), rng.uniform(520, 620)
    x1, y1 = rng.uniform(650, 900), rng.uniform(420, 520)
    draw.line((x0, y0, x1, y1), fill=(90, 60, 35), width=38)
    for _ in range(70):
        t = rng.uniform(0.4, 1.1)
        x, y = x0 + (x1 - x0) * t + rng.gauss(0, 45), y0 + (y1 - y0) * t + rng.gauss(0, 45)
        r = rng.uniform(20, 45)
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=rng.choice([(40, 110, 40), (60, 140, 50), (30, 90, 35)])
        )


_SCENES: dict[str, Callable[[ImageDraw.ImageDraw, random.Random], None]] = {
    "flood": _flood,
    "traffic": _traffic,
    "garbage": _garbage,
    "crime": _crime,
    "road_damage": _road_damage,
    "street_light": _street_light,
    "illegal_parking": _illegal_parking,
    "fire": _fire,
    "public_facility": _public_facility,
    "drainage": _drainage,
    "tree": _tree,
    "other": _street,
}
