"""The public league: response figures per area at one level of the tree, over a period, in one query; and
bulk loaders for the league benchmark."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from db import posts as posts_db

# Both leagues (areas, agencies) measure and rank their owners by the same rules; only how an owner's clocks
# are found differs. The shared parts below are those rules, written once so the two cannot drift apart.
# Durations are seconds. decided: the clock is closed or past its resolve deadline, or unacknowledged past
# its acknowledge deadline; within SLA: answered (acknowledged, or closed) by the acknowledge deadline AND
# closed by the resolve deadline. The score is the share within SLA weighted by the workload: (reports per
# official / the league's median of it) ** 0.25, clamped to [0.5, 2] first — see docs/officials.md.
_ACK = "date_part('epoch', s.acknowledged_at - s.started_at)"
_RESOLVE = "date_part('epoch', s.resolved_at - s.started_at)"
# A clock ended by merging its post into another (migration 013) is no verdict on anyone: never decided.
_DECIDED = """(s.outcome IS DISTINCT FROM 'merged' AND (s.ended_at IS NOT NULL OR s.resolve_due_at <= $3
                OR (s.acknowledged_at IS NULL AND s.ack_due_at <= $3)))"""
_ON_TIME = "(coalesce(s.acknowledged_at, s.ended_at) <= s.ack_due_at AND s.ended_at <= s.resolve_due_at)"

# One owner's figures over the clocks (post_assignments s) that the query's WHERE, appended, picks.
_CLOCK_FIGURES = f"""SELECT count(DISTINCT s.post_id) AS reports,
               count(*) AS clocks,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY {_ACK}) AS ack_median_s,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY {_ACK}) AS ack_p90_s,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY {_RESOLVE}) AS resolve_median_s,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY {_RESOLVE}) AS resolve_p90_s,
               count(*) FILTER (WHERE {_DECIDED}) AS decided,
               count(*) FILTER (WHERE {_DECIDED} AND {_ON_TIME}) AS within_sla,
               count(*) FILTER (WHERE s.outcome = 'resolved') AS resolved,
               count(*) FILTER (WHERE s.outcome = 'resolved' AND s.reopened_at IS NOT NULL) AS reopened
        FROM post_assignments s"""

# A board row's figures from the owner's clock figures (st, from stats) and its officials (sf, from staff).
_BOARD_FIGURES = """coalesce(st.reports, 0) AS reports, coalesce(st.clocks, 0) AS clocks,
           coalesce(sf.officials, 0) AS officials,
           st.ack_median_s, st.ack_p90_s, st.resolve_median_s, st.resolve_p90_s,
           coalesce(st.decided, 0) AS decided, coalesce(st.within_sla, 0) AS within_sla,
           st.within_sla::float8 / nullif(st.decided, 0) AS within_sla_share,
           coalesce(st.resolved, 0) AS resolved, coalesce(st.reopened, 0) AS reopened,
           st.reopened::float8 / nullif(st.resolved, 0) AS reopen_rate,
           coalesce(st.reports, 0)::float8 / greatest(coalesce(sf.officials, 0), 1) AS reports_per_official"""

# From the board CTE to `placed`: the workload factor, the score and the rank.
_RANKING = """median AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY reports_per_official) AS load
    FROM board WHERE within_sla_share IS NOT NULL
),
scored AS (
    SELECT b.*, greatest(0.5, least(2.0, b.reports_per_official / m.load)) AS workload_factor
    FROM board b CROSS JOIN median m
),
ranked AS (
    SELECT s.*, 100 * s.within_sla_share * power(s.workload_factor, 0.25) AS score
    FROM scored s
),
placed AS (
    -- Ranked before the one-owner filter that follows: an owner's stats carry its place in the whole league.
    SELECT r.*, CASE WHEN r.score IS NOT NULL
                     THEN rank() OVER (ORDER BY r.score DESC NULLS LAST, r.ack_median_s ASC NULLS LAST) END
                AS rank
    FROM ranked r
)"""

# $1 level, $2 period start, $3 now, $4 one area (NULL = all). Clocks (post_assignments) started in the period
# are credited to the area at $1 that holds their owner (itself or an ancestor).
# Each ranked area aggregates its own subtree's clocks (LATERAL) through the (area_id, started_at) covering
# index of migration 007: a few hundred small index-only range scans and in-memory sorts, instead of sorting
# the whole period's clocks by area (measured 3x faster at 1M posts, docs/bench-league.md).
LEAGUE_SQL = f"""WITH RECURSIVE tree AS (
    SELECT id, id AS top FROM areas WHERE level = $1
    UNION ALL
    SELECT a.id, t.top FROM areas a JOIN tree t ON a.parent_id = t.id
),
subtrees AS (
    SELECT top, array_agg(id) AS ids FROM tree GROUP BY top
),
stats AS (
    SELECT t.top, c.*
    FROM subtrees t CROSS JOIN LATERAL (
        {_CLOCK_FIGURES}
        WHERE s.area_id = ANY (t.ids) AND s.started_at >= $2 AND s.started_at <= $3
    ) c
),
staff AS (
    SELECT t.top, count(DISTINCT o.user_id) AS officials
    FROM official_areas o JOIN tree t ON t.id = o.area_id GROUP BY t.top
),
board AS (
    SELECT a.id AS area_id, a.name, a.code, a.level, a.population,
           {_BOARD_FIGURES},
           coalesce(st.reports, 0) * 1000.0::float8 / nullif(a.population, 0) AS reports_per_1000_residents
    FROM areas a LEFT JOIN stats st ON st.top = a.id LEFT JOIN staff sf ON sf.top = a.id
    WHERE a.level = $1
),
{_RANKING}
SELECT r.* FROM placed r
WHERE $4::bigint IS NULL OR r.area_id = $4
ORDER BY r.score DESC NULLS LAST, r.ack_median_s ASC NULLS LAST, r.reports DESC, r.name, r.area_id"""

# The same figures and ranking per city agency, from the clocks of its hand-offs (migration 012). $1 is
# the level label ('agency'), $2/$3 the period, $4 one agency (NULL = all). Agencies have no residents.
AGENCY_LEAGUE_SQL = f"""WITH stats AS (
    SELECT g.id AS top, c.*
    FROM agencies g CROSS JOIN LATERAL (
        {_CLOCK_FIGURES}
        WHERE s.agency_id = g.id AND s.started_at >= $2 AND s.started_at <= $3
    ) c
),
staff AS (
    SELECT agency_id AS top, count(*) AS officials FROM official_agencies GROUP BY agency_id
),
board AS (
    SELECT g.id AS agency_id, g.name, g.code, $1::text AS level, NULL::bigint AS population,
           {_BOARD_FIGURES},
           NULL::float8 AS reports_per_1000_residents
    FROM agencies g LEFT JOIN stats st ON st.top = g.id LEFT JOIN staff sf ON sf.top = g.id
),
{_RANKING}
SELECT r.* FROM placed r
WHERE $4::bigint IS NULL OR r.agency_id = $4
ORDER BY r.score DESC NULLS LAST, r.ack_median_s ASC NULLS LAST, r.reports DESC, r.code, r.agency_id"""


# The area tree's recursive CTE is estimated at ~150x its real size, which makes the query look expensive
# enough to JIT-compile (~0.5 s of compiling for a ~0.1 s query) and to sort on disk: turn JIT off and give
# the sorts room, for this transaction only.
_TUNING = ("SET LOCAL jit = off", "SET LOCAL work_mem = '32MB'")


async def league(
    conn: asyncpg.Connection, level: str, since: datetime, now: datetime, area_id: int | None = None
) -> list[asyncpg.Record]:
    async with conn.transaction(readonly=True):
        for setting in _TUNING:
            await conn.execute(setting)
        return await conn.fetch(LEAGUE_SQL, level, since, now, area_id)


async def agency_league(
    conn: asyncpg.Connection, since: datetime, now: datetime, agency_id: int | None = None
) -> list[asyncpg.Record]:
    async with conn.transaction(readonly=True):
        return await conn.fetch(AGENCY_LEAGUE_SQL, "agency", since, now, agency_id)


async def explain(conn: asyncpg.Connection, level: str, since: datetime, now: datetime) -> str:
    async with conn.transaction(readonly=True):
        for setting in _TUNING:
            await conn.execute(setting)
        rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + LEAGUE_SQL, level, since, now, None)
    return "\n".join(r[0] for r in rows)


# --- Bulk load (the league benchmark) -----------------------------------------------------------------
ASSIGNMENT_BULK_COLUMNS = (
    "post_id",
    "area_id",
    "category",
    "started_at",
    "ack_due_at",
    "resolve_due_at",
    "acknowledged_at",
    "resolved_at",
    "ended_at",
    "outcome",
    "reopened_at",
    "agency_id",  # an agency's clock: area_id NULL (exactly one owner per clock)
)


async def copy_assignments(conn: asyncpg.Connection, records: Iterable[Sequence[Any]]) -> None:
    """COPY rows shaped like ASSIGNMENT_BULK_COLUMNS into post_assignments."""
    await conn.copy_records_to_table(
        "post_assignments", records=records, columns=list(ASSIGNMENT_BULK_COLUMNS)
    )


async def copy_officials(conn: asyncpg.Connection, records: Iterable[Sequence[Any]]) -> None:
    await conn.copy_records_to_table("official_areas", records=records, columns=["user_id", "area_id"])


async def copy_routed_posts(conn: asyncpg.Connection, records: Iterable[Sequence[Any]]) -> None:
    """COPY posts with their area and status: db.posts.BULK_COLUMNS followed by area_id and status."""
    await conn.copy_records_to_table(
        "posts", records=records, columns=[*posts_db.BULK_COLUMNS, "area_id", "status"]
    )


async def vacuum_analyze(conn: asyncpg.Connection) -> None:
    await conn.execute("VACUUM (ANALYZE) post_assignments")
    await conn.execute("VACUUM (ANALYZE) posts")
    await conn.execute("ANALYZE areas")
    await conn.execute("ANALYZE official_areas")
