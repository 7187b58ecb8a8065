"""msgspec Structs against pydantic v2 models on the feed endpoint's own work (#19 item 4), in one run.

Encode: a page of 50 posts as GET /api/feed returns them (the dicts of feed.core.serialize.post_json plus
distance_m and voted_by_me), typed by each library's declaration, to JSON bytes. Decode: a new-post body
(POST /api/posts) from bytes to a validated, typed object. The stdlib json.dumps of the same dicts (what
JSONResponse does today) is the baseline. Prints µs per operation and the ratios msgspec/pydantic.

    .venv/bin/python bench/shapes.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
import pydantic

MAX_TEXT = 2000


def post_dict(i: int) -> dict[str, Any]:
    return {
        "id": 1_000_000 - i,
        "text": "Jalan berlubang di depan sekolah, hati-hati kalau hujan " * 2,
        "category": "road_damage",
        "lat": -6.2 + i * 1e-4,
        "lon": 106.8 - i * 1e-4,
        "status": "open",
        "author": {"id": 1000 + i, "handle": f"warga_{i}"},
        "created_at": "2026-12-05T10:00:00.000000Z",
        "updated_at": "2026-12-05T10:00:00.000000Z",
        "votes": i,
        "comments": i // 2,
        "photos": [
            {
                "thumb_url": f"/media/p/{i}/thumb.webp",
                "display_url": f"/media/p/{i}/display.webp",
                "width": 1600,
                "height": 1200,
                "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
            }
        ]
        if i % 3 == 0
        else [],
        "hidden": False,
        "area_id": 31,
        "attributes": {},
        "merged_into": None,
        "distance_m": 123.4,
        "voted_by_me": False,
    }


# --- msgspec -------------------------------------------------------------------------------------------
class MAuthor(msgspec.Struct):
    id: int
    handle: str


class MPhoto(msgspec.Struct):
    thumb_url: str
    display_url: str
    width: int
    height: int
    blurhash: str | None


class MFeedItem(msgspec.Struct):
    id: int
    text: str
    category: str
    lat: float
    lon: float
    status: str
    author: MAuthor
    created_at: str
    updated_at: str
    votes: int
    comments: int
    photos: list[MPhoto]
    hidden: bool
    area_id: int | None
    attributes: dict[str, Any]
    merged_into: int | None
    distance_m: float
    voted_by_me: bool


class MPage(msgspec.Struct):
    items: list[MFeedItem]
    next: str | None


class MNewPost(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
    category: str
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    location_from_photo: bool = False
    attributes: dict[str, Any] | None = None


def m_item(d: dict[str, Any]) -> MFeedItem:
    return MFeedItem(
        **{
            **d,
            "author": MAuthor(**d["author"]),
            "photos": [MPhoto(**p) for p in d["photos"]],
        }
    )


# --- pydantic ------------------------------------------------------------------------------------------
class PAuthor(pydantic.BaseModel):
    id: int
    handle: str


class PPhoto(pydantic.BaseModel):
    thumb_url: str
    display_url: str
    width: int
    height: int
    blurhash: str | None


class PFeedItem(pydantic.BaseModel):
    id: int
    text: str
    category: str
    lat: float
    lon: float
    status: str
    author: PAuthor
    created_at: str
    updated_at: str
    votes: int
    comments: int
    photos: list[PPhoto]
    hidden: bool
    area_id: int | None
    attributes: dict[str, Any]
    merged_into: int | None
    distance_m: float
    voted_by_me: bool


class PPage(pydantic.BaseModel):
    items: list[PFeedItem]
    next: str | None


class PNewPost(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    text: Annotated[str, pydantic.Field(min_length=1, max_length=MAX_TEXT)]
    category: str
    lat: Annotated[float, pydantic.Field(ge=-90, le=90)]
    lon: Annotated[float, pydantic.Field(ge=-180, le=180)]
    location_from_photo: bool = False
    attributes: dict[str, Any] | None = None


def per_op_us(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(5):  # best of 5 batches: the machine is shared
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    dicts = [post_dict(i) for i in range(50)]
    page = {"items": dicts, "next": "YzE6OTk5OTUx"}
    new_post = {"text": "Banjir setinggi lutut", "category": "flood", "lat": -6.2, "lon": 106.8}
    body = json.dumps(new_post).encode()
    m_encoder = msgspec.json.Encoder()
    m_decoder = msgspec.json.Decoder(MNewPost)
    p_page = pydantic.TypeAdapter(PPage)

    def m_encode() -> bytes:
        return m_encoder.encode(MPage([m_item(d) for d in dicts], page["next"]))  # type: ignore[arg-type]

    def p_encode() -> bytes:
        return p_page.dump_json(PPage.model_validate(page))

    def p_encode_unchecked() -> bytes:  # model_construct: no validation, pydantic's cheapest typed build
        items = [
            PFeedItem.model_construct(
                **{
                    **d,
                    "author": PAuthor.model_construct(**d["author"]),
                    "photos": [PPhoto.model_construct(**p) for p in d["photos"]],
                }
            )
            for d in dicts
        ]
        return p_page.dump_json(PPage.model_construct(items=items, next=page["next"]))

    assert json.loads(m_encode()) == json.loads(p_encode()) == json.loads(p_encode_unchecked()) == page
    figures = {
        "stdlib_json_dumps_page": per_op_us(lambda: json.dumps(page).encode(), args.rounds),
        "msgspec_encode_page": per_op_us(m_encode, args.rounds),
        "pydantic_encode_page": per_op_us(p_encode, args.rounds),
        "pydantic_construct_encode_page": per_op_us(p_encode_unchecked, args.rounds),
        "msgspec_decode_new_post": per_op_us(lambda: m_decoder.decode(body), args.rounds * 10),
        "pydantic_decode_new_post": per_op_us(lambda: PNewPost.model_validate_json(body), args.rounds * 10),
    }
    for name, us in figures.items():
        print(f"{name}_us={us:.2f}")
    encode = figures["msgspec_encode_page"] / figures["pydantic_encode_page"]
    decode = figures["msgspec_decode_new_post"] / figures["pydantic_decode_new_post"]
    print(
        f"encode_ratio_msgspec_over_pydantic={encode:.2f} decode_ratio_msgspec_over_pydantic={decode:.2f} "
        f"versions=msgspec-{msgspec.__version__},pydantic-{pydantic.VERSION}"
    )


if __name__ == "__main__":
    main()
