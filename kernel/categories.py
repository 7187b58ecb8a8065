"""Report categories: stable codes with names in Bahasa Indonesia and English, and the extra questions
(attributes) some categories ask, with the one validator both the app and Open311 use."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

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

# The datatypes of Open311 GeoReport v2 service definitions that warga's questions use.
DATATYPES = ("string", "number", "singlevaluelist", "multivaluelist")
MAX_STRING = 200


@dataclass(frozen=True)
class Attribute:
    """One extra question of a category. `values` are (key, name) for the list datatypes; `low`/`high`
    bound a number."""

    code: str
    datatype: str
    required: bool
    description: str
    values: tuple[tuple[str, str], ...] = ()
    low: float | None = None
    high: float | None = None


# Questions officials need to triage without a site visit. Codes are API-stable like category codes.
ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "flood": (
        Attribute("water_depth_cm", "number", True, "Water depth in cm (kedalaman air)", low=1, high=500),
        Attribute(
            "passable",
            "singlevaluelist",
            False,
            "Can vehicles pass? (bisa dilewati?)",
            (("all", "All vehicles"), ("high_only", "High vehicles only"), ("none", "No vehicle")),
        ),
    ),
    "road_damage": (
        Attribute(
            "size",
            "singlevaluelist",
            True,
            "Size of the damage (ukuran kerusakan)",
            (
                ("small", "Smaller than a plate"),
                ("medium", "Up to a car tyre"),
                ("large", "Larger than a car tyre"),
            ),
        ),
    ),
    "street_light": (
        Attribute(
            "state",
            "singlevaluelist",
            True,
            "What is wrong? (apa masalahnya?)",
            (("off", "Off at night"), ("flickering", "Flickering"), ("on_by_day", "On during the day")),
        ),
        Attribute("pole_number", "string", False, "Number on the pole, if any (nomor tiang)"),
    ),
    "tree": (
        Attribute(
            "blocking",
            "multivaluelist",
            False,
            "What does it block? (menghalangi apa?)",
            (
                ("road", "Road"),
                ("sidewalk", "Sidewalk"),
                ("power_line", "Power line"),
                ("building", "Building"),
            ),
        ),
    ),
}


class BadAttribute(ValueError):
    """An attribute answer was refused; `code` names the attribute (each API words it its own way)."""

    def __init__(self, code: str, problem: str) -> None:
        super().__init__(f"{code}: {problem}")
        self.code = code
        self.problem = problem


def check_attributes(category: str, given: dict[str, Any]) -> dict[str, Any]:
    """The stored form of `given` (code -> str, number or list of str) for `category`: numbers as numbers,
    list keys checked, unknown codes and missing required ones refused (BadAttribute)."""
    questions = {a.code: a for a in ATTRIBUTES.get(category, ())}
    for code in given:
        if code not in questions:
            raise BadAttribute(code, f"not an attribute of {category}")
    answers: dict[str, Any] = {}
    for code, question in questions.items():
        value = given.get(code)
        if value is None or value == "" or value == []:
            if question.required:
                raise BadAttribute(code, "required")
            continue
        answers[code] = _answer(question, value)
    return answers


def _answer(question: Attribute, value: Any) -> Any:
    keys = [key for key, _ in question.values]
    if question.datatype == "multivaluelist":
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and v in keys for v in items):
            raise BadAttribute(question.code, f"each value must be one of {', '.join(keys)}")
        return [k for k in keys if k in items]  # de-duplicated, in the question's order
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BadAttribute(question.code, "must be a single value")
    if question.datatype == "number":
        return _number(question, value)
    text = str(value).strip()
    if question.datatype == "singlevaluelist" and text not in keys:
        raise BadAttribute(question.code, f"must be one of {', '.join(keys)}")
    if not text or len(text) > MAX_STRING or not text.isprintable():
        raise BadAttribute(question.code, f"must be 1-{MAX_STRING} printable characters")
    return text


def _number(question: Attribute, value: str | int | float) -> int | float:
    """Compared exactly, before any float(): a 400-digit integer (JSON) or numeral (a form) is out of range,
    never an OverflowError, and int() of over 4,300 digits (a ValueError of its own) is never called."""
    exact: int | float | Decimal
    if isinstance(value, str):
        try:
            exact = Decimal(value.strip())
        except InvalidOperation:
            raise BadAttribute(question.code, "must be a number") from None
    else:
        exact = value
    if isinstance(exact, Decimal | float) and not _finite(exact):
        raise BadAttribute(question.code, "must be a number")
    if (question.low is not None and exact < question.low) or (
        question.high is not None and exact > question.high
    ):
        raise BadAttribute(question.code, f"must be from {question.low:g} to {question.high:g}")
    number = float(exact)  # within the question's bounds, so finite
    return int(number) if number.is_integer() else number


def _finite(value: Decimal | float) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


def attribute_json(question: Attribute, order: int) -> dict[str, Any]:
    """One question in the shape of an Open311 service definition's attribute."""
    described = f"{question.low:g} to {question.high:g}" if question.datatype == "number" else None
    return {
        "variable": True,
        "code": question.code,
        "datatype": question.datatype,
        "required": question.required,
        "datatype_description": described,
        "order": order,
        "description": question.description,
        "values": [{"key": key, "name": name} for key, name in question.values],
    }


def as_json(sensitive: tuple[str, ...] = ()) -> list[dict[str, object]]:
    return [
        {
            "code": code,
            "name_id": name_id,
            "name_en": name_en,
            "sensitive": code in sensitive,
            "attributes": [attribute_json(a, i) for i, a in enumerate(ATTRIBUTES.get(code, ()), 1)],
        }
        for code, (name_id, name_en) in CATEGORIES.items()
    ]
