"""Who owns a report, as events name it: areas by their ids, city agencies by agency_key."""

from __future__ import annotations


def agency_key(agency_id: int) -> int:
    """A city agency's place in an event's area_ids: its id negated (area ids are positive). An agency owns
    reports as an area does, so its subscribers ride the area machinery unchanged: the channel, the replay
    index on events.area_ids and the subscription filter."""
    return -agency_id
