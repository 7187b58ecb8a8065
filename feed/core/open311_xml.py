"""Open311 GeoReport v2 bodies in either format: JSON, or XML built with xml.etree (which escapes every
text node), with the spec's element names."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from starlette.responses import Response

FORMATS = {"json": "application/json", "xml": "text/xml; charset=utf-8"}
PREFIX = "/open311/"
# The element name of one list item, by list element (the spec's plural/singular pairs).
_ITEM = {
    "service_requests": "request",
    "services": "service",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "keywords": "keyword",
}


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0 at all


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _NOT_XML.sub("", str(value))


def _fill(parent: ET.Element, key: str, value: Any) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _fill(node, k, v)
    elif isinstance(value, list):
        for item in value:
            _fill(node, _ITEM.get(key, "item"), item)
    else:
        node.text = _text(value)


def to_xml(root: str, body: Any) -> bytes:
    """`body` is a list (items under `root`) or a dict (children of `root`)."""
    top = ET.Element(root)
    if isinstance(body, list):
        for item in body:
            _fill(top, _ITEM[root], item)
    else:
        for key, value in body.items():
            _fill(top, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode").encode()


def render(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, body), status_code=status, media_type=FORMATS["xml"])
    return Response(
        json.dumps(body, ensure_ascii=False).encode(), status_code=status, media_type=FORMATS["json"]
    )


def error_list(path: str, status: int, description: str) -> tuple[str, bytes]:
    """(media type, body) of the spec's error list for a request refused before routing (core.middleware):
    the path's suffix picks the format, as for every Open311 answer."""
    fmt = "xml" if path.endswith(".xml") else "json"
    response = render(fmt, "errors", [{"code": status, "description": description}], status)
    return FORMATS[fmt], bytes(response.body)
