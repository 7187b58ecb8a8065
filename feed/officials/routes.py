"""The officials domain's routes: areas, the league, inboxes, agencies, the status of a report."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from feed.officials import admin, agencies, areas, league, routing, status


def routes() -> list[BaseRoute]:
    return [
        Route("/api/areas", areas.lookup, methods=["GET"]),
        Route("/api/areas/{id}", areas.detail, methods=["GET"]),
        Route("/api/areas/{id}/stats", league.area_stats, methods=["GET"]),
        Route("/api/league", league.league, methods=["GET"]),
        Route("/api/officials/inbox", routing.inbox, methods=["GET"]),
        Route("/api/admin/officials", admin.add_official, methods=["POST"]),
        Route("/api/admin/officials", admin.remove_official, methods=["DELETE"]),
        Route("/api/admin/unrouted", routing.unrouted, methods=["GET"]),
        Route("/api/agencies", agencies.list_agencies, methods=["GET"]),
        Route("/api/agencies/{code}/stats", agencies.agency_stats, methods=["GET"]),
        Route("/api/admin/agencies", admin.add_agency, methods=["POST"]),
        Route("/api/posts/{id}/status", status.change_status, methods=["POST"]),
        Route("/api/posts/{id}/reopen", status.reopen, methods=["POST"]),
        Route("/api/posts/{id}/timeline", status.timeline, methods=["GET"]),
    ]
