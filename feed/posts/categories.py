"""GET /api/categories: the report categories (kernel/categories.py) with their names and questions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from feed.core.context import runtime_of
from feed.core.endpoint import respond
from kernel.categories import as_json


async def list_categories(request: Request) -> Response:
    sensitive = runtime_of(request).settings.sensitive_categories
    return respond({"items": as_json(sensitive)})
