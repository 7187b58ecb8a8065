"""What a notification says: title, body, url and post id in Bahasa Indonesia (the app's default language),
built from the one view of the event its recipient may see (feed.core.outbox) and nothing else — no position,
no author, no moderators' reasons. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.categories import CATEGORIES

# RFC 8291: a push message's plaintext is at most 4,096 - 86 (header) - 17 (padding delimiter, tag) bytes.
MAX_PAYLOAD_BYTES = 3993
MAX_BODY_CHARS = 180  # a phone shows two or three lines; the rest is one tap away

STATUS_ID = {
    "open": "Terbuka",
    "acknowledged": "Diterima",
    "in_progress": "Dikerjakan",
    "resolved": "Selesai",
    "rejected": "Ditolak",
    "forwarded": "Diteruskan",
    "reopened": "Dibuka lagi",
    "merged": "Digabung",
}


def post_url(post_id: int) -> str:
    return f"/?post={post_id}"


def render(
    event_type: str, view: Mapping[str, Any], post_id: int, *, own_report: bool, as_owner: bool = False
) -> dict[str, Any]:
    """The notification for one recipient from their view of the event."""
    post = view.get("post") or {}
    title, body = _words(event_type, view, post, own_report)
    step = view.get("step") or {}
    if as_owner and step.get("status") == "forwarded":  # to the new owner: it is theirs now
        category = CATEGORIES.get(str(post.get("category")), ("Laporan", ""))[0]
        title = f"Laporan diteruskan ke Anda: {category}"
    return {"title": title, "body": _short(body), "url": post_url(post_id), "post_id": post_id}


def _words(event_type: str, view: Mapping[str, Any], post: Mapping[str, Any], own: bool) -> tuple[str, str]:
    category = CATEGORIES.get(str(post.get("category")), ("Laporan", ""))[0]
    text = str(post.get("text") or "")
    step = view.get("step") or {}
    if event_type == "post.created":
        return f"Laporan baru: {category}", text
    if event_type == "post.escalated":
        return f"Eskalasi: {category} belum ditangani", text
    if event_type == "comment.created":
        comment = view.get("comment") or {}
        where = "laporan Anda" if own else "laporan yang Anda ikuti"
        return f"Komentar baru pada {where}", str(comment.get("text") or "")
    if event_type == "post.merged":
        into = post.get("merged_into")
        return (
            "Laporan digabung",
            f"Laporan ini digabung ke laporan #{into}." if into else "Laporan digabung.",
        )
    if step.get("kind") == "reopened":
        return f"Laporan dibuka lagi: {category}", str(step.get("reason") or step.get("note") or text)
    status = STATUS_ID.get(str(step.get("status")), str(step.get("status")))
    return f"Status laporan: {status}", str(step.get("note") or text)  # the official's note, when given


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_BODY_CHARS else text[: MAX_BODY_CHARS - 1].rstrip() + "…"
