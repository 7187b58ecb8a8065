"""Report categories: stable codes with names in Bahasa Indonesia and English."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

# code: (Bahasa Indonesia, English). Codes are API-stable; names are for people.
CATEGORIES: dict[str, tuple[str, str]] = {
    "flood": ("Banjir", "Flood"),
    "traffic": ("Kemacetan", "Traffic"),
    "garbage": ("Sampah", "Garbage"),
    "crime": ("Kriminalitas", "Crime"),
    "road_damage": ("Jalan rusak", "Road damage"),
    "street_light": ("Lampu jalan", "Street light"),
    "illegal_parking": ("Parkir liar", "Illegal parking"),
    "fire": ("Kebakaran", "Fire"),
    "public_facility": ("Fasilitas umum", "Public facility"),
    "drainage": ("Saluran air", "Drainage"),
    "tree": ("Pohon tumbang", "Fallen tree"),
    "other": ("Lainnya", "Other"),
}


def as_json(sensitive: tuple[str, ...] = ()) -> list[dict[str, object]]:
    return [
        {"code": code, "name_id": name_id, "name_en": name_en, "sensitive": code in sensitive}
        for code, (name_id, name_en) in CATEGORIES.items()
    ]


async def list_categories(request: Request) -> JSONResponse:
    sensitive = request.app.state.runtime.settings.sensitive_categories
    return JSONResponse({"items": as_json(sensitive)})
