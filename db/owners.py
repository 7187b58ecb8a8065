"""Who owns a report, in the database's terms: the keys an event's area_ids carry (the area chain and the
owning agency, kernel.owners.agency_key) and the officials behind those keys, as of now. The outbox emitter
(feed) and the push worker (notify) both ask here, so the two cannot disagree on who is an owner."""

from __future__ import annotations

from collections.abc import Collection

import asyncpg

from db import agencies as agencies_db
from db import areas as areas_db
from db import officials as officials_db
from kernel.owners import agency_key


async def owner_keys(conn: asyncpg.Connection, area_id: int | None, agency_id: int | None) -> list[int]:
    """The area and all its ancestors (a camat owns the kelurahan's reports), and the owning agency's key."""
    keys = [a["id"] for a in await areas_db.chain(conn, area_id)] if area_id is not None else []
    if agency_id is not None:
        keys.append(agency_key(agency_id))
    return keys


async def officials_of(conn: asyncpg.Connection, keys: Collection[int]) -> list[int]:
    """Officials of these areas and (negative keys, kernel.owners.agency_key) agencies, as of now."""
    areas = [k for k in keys if k > 0]
    agencies = [-k for k in keys if k < 0]
    found: set[int] = set()
    if areas:
        found |= set(await officials_db.officials_of(conn, areas))
    if agencies:
        found |= set(await agencies_db.officials_of(conn, agencies))
    return sorted(found)
