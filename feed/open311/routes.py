"""The open data domain's routes: Open311 GeoReport v2 (docs/open311.md) and the export."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from feed.open311 import export, georeport

V2 = "/open311/v2"


def routes() -> list[BaseRoute]:
    return [
        Route(V2 + "/discovery.{fmt}", georeport.discovery, methods=["GET"]),
        Route(V2 + "/services.{fmt}", georeport.services, methods=["GET"]),
        Route(V2 + "/services/{service_code}.{fmt}", georeport.service_definition, methods=["GET"]),
        Route(V2 + "/requests.{fmt}", georeport.create_request, methods=["POST"]),
        Route(V2 + "/requests.{fmt}", georeport.list_requests, methods=["GET"]),
        Route(V2 + "/requests/{id}.{fmt}", georeport.get_request, methods=["GET"]),
        Route(V2 + "/tokens/{token}.{fmt}", georeport.get_token, methods=["GET"]),
        Route("/api/export", export.export, methods=["GET"]),
    ]
