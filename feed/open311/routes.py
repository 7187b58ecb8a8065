"""The open data domain's routes: Open311 GeoReport v2 (docs/open311.md) and the export, each declared with
its shapes (feed/open311/shapes.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from feed.core.endpoint import endpoint
from feed.open311 import export, georeport
from feed.open311.shapes import (
    ANSWER_MEDIA,
    ERROR_MEDIA,
    IDEMPOTENCY,
    Discovery,
    ExportQuery,
    RequestPath,
    RequestsQuery,
    ServicePath,
    ServiceRequestForm,
    TokenPath,
)

V2 = "/open311/v2"
OPEN311: dict[str, Any] = {"tag": "open311", "media": ANSWER_MEDIA, "error_media": ERROR_MEDIA}


def routes() -> list[BaseRoute]:
    return [
        endpoint(
            V2 + "/discovery.{fmt}",
            "GET",
            georeport.discovery,
            summary="Open311 discovery",
            path_params=Discovery,
            errors=(404,),
            **OPEN311,
        ),
        endpoint(
            V2 + "/services.{fmt}",
            "GET",
            georeport.services,
            summary="Open311 services (the report categories)",
            path_params=Discovery,
            errors=(404,),
            **OPEN311,
        ),
        endpoint(
            V2 + "/services/{service_code}.{fmt}",
            "GET",
            georeport.service_definition,
            summary="Open311 service definition (attributes)",
            path_params=ServicePath,
            errors=(404,),
            **OPEN311,
        ),
        endpoint(
            V2 + "/requests.{fmt}",
            "POST",
            georeport.create_request,
            summary="Create an Open311 service request (api_key required; `media` photo extension; "
            "address_string alone is placed approximately; Idempotency-Key honoured)",
            path_params=Discovery,
            forms={
                "application/x-www-form-urlencoded": ServiceRequestForm,
                "multipart/form-data": ServiceRequestForm,
            },
            headers=IDEMPOTENCY,
            errors=(400, 403, 404, 409, 413, 415, 422, 429),
            **OPEN311,
        ),
        endpoint(
            V2 + "/requests.{fmt}",
            "GET",
            georeport.list_requests,
            summary="Open311 service requests (public reports)",
            path_params=Discovery,
            query=RequestsQuery,
            errors=(400, 404),
            **OPEN311,
        ),
        endpoint(
            V2 + "/requests/{id}.{fmt}",
            "GET",
            georeport.get_request,
            summary="One Open311 service request",
            path_params=RequestPath,
            errors=(404,),
            **OPEN311,
        ),
        endpoint(
            V2 + "/tokens/{token}.{fmt}",
            "GET",
            georeport.get_token,
            summary="The service request id for a token (a report that was held for review)",
            path_params=TokenPath,
            errors=(404,),
            **OPEN311,
        ),
        endpoint(
            "/api/export",
            "GET",
            export.export,
            summary="Open data: public reports streamed as GeoJSON or CSV (public positions only)",
            tag="open data",
            query=ExportQuery,
            media={"application/geo+json": dict[str, Any], "text/csv": str},
            description="Streamed export",
        ),
    ]
