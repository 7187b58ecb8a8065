"""The trust and safety domain's routes (docs/trust.md): moderation, flags, the queue, suspensions,
appeals, duplicates, each declared with its shapes (feed/trust/shapes.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from feed.core.endpoint import Endpoint, endpoint
from feed.core.shapes import Comment, Items, Page, Post, Suggestion
from feed.trust import appeals, duplicates, flags, moderation, queue, suspensions
from feed.trust.shapes import (
    Appeal,
    AppealsParams,
    Decision,
    Flag,
    HideReason,
    LogEntry,
    LogParams,
    Loose,
    Merge,
    NewAppeal,
    NewFlag,
    QueueItem,
    QueueParams,
    QueuePath,
    Resolution,
    Suspend,
    UnhideReason,
)

TAG = "moderation"


def _hiding() -> list[Endpoint]:
    found = []
    for kind, shape, module in (("posts", Post, moderation), ("comments", Comment, moderation)):
        for action, body in (("hide", HideReason), ("unhide", UnhideReason)):
            found.append(
                endpoint(
                    f"/api/{kind}/{{id}}/{action}",
                    "POST",
                    getattr(module, f"{action}_{kind[:-1]}"),
                    summary=f"{action.capitalize()} a {kind[:-1]} (moderators and admins)",
                    tag=TAG,
                    auth="required",
                    body=body,
                    body_required=action == "hide",
                    response=shape,
                    errors=(403, 404),
                )
            )
    return found


def _flagging() -> list[Endpoint]:
    return [
        endpoint(
            f"/api/{kind}/{{id}}/flag",
            "POST",
            handler,
            summary=f"Flag a {kind[:-1]} (once per user; weighted; enough weight hides it pending review)",
            tag=TAG,
            auth="required",
            body=NewFlag,
            response=Flag,
            status=201,
            errors=(403, 404, 409, 429),
        )
        for kind, handler in (("posts", flags.flag_post), ("comments", flags.flag_comment))
    ]


def routes() -> list[BaseRoute]:
    return [
        *_hiding(),
        endpoint(
            "/api/moderation/log",
            "GET",
            moderation.log,
            summary="Moderation log, newest first (moderators and admins)",
            tag=TAG,
            auth="required",
            query=LogParams,
            response=Page[LogEntry],
            errors=(403,),
        ),
        *_flagging(),
        endpoint(
            "/api/moderation/queue",
            "GET",
            queue.list_queue,
            summary="Flagged and held items, newest or most-flagged first (moderators and admins)",
            tag=TAG,
            auth="required",
            query=QueueParams,
            response=Page[QueueItem],
            errors=(403,),
        ),
        endpoint(
            "/api/moderation/queue/{kind}/{id}",
            "POST",
            queue.resolve,
            summary="Resolve a queue item: hide (flags upheld), restore (flags rejected; releases a held "
            "post), dismiss (flags rejected)",
            tag=TAG,
            auth="required",
            path_params=QueuePath,
            body=Resolution,
            response=Loose,
            errors=(403, 404, 409),
        ),
        endpoint(
            "/api/admin/users/{id}/suspend",
            "POST",
            suspensions.suspend,
            summary="Suspend a user (moderators, admins): tokens revoked, sockets closed, content maybe "
            "hidden",
            tag=TAG,
            auth="required",
            body=Suspend,
            response=Loose,
            errors=(403, 404),
        ),
        endpoint(
            "/api/appeals",
            "POST",
            appeals.create,
            summary="Appeal one's suspension, once per suspension (authenticated by handle and password)",
            tag=TAG,
            body=NewAppeal,
            response=Appeal,
            status=201,
            errors=(401, 409, 429),
        ),
        endpoint(
            "/api/appeals",
            "GET",
            appeals.list_appeals,
            summary="Appeals, newest first (moderators and admins)",
            tag=TAG,
            auth="required",
            query=AppealsParams,
            response=Page[Appeal],
            errors=(403,),
        ),
        endpoint(
            "/api/appeals/{id}/decision",
            "POST",
            appeals.decide,
            summary="Decide an appeal (moderators and admins): upheld, or lifted (the suspension ends)",
            tag=TAG,
            auth="required",
            body=Decision,
            response=Appeal,
            errors=(403, 404, 409),
        ),
        endpoint(
            "/api/posts/{id}/merge",
            "POST",
            duplicates.merge,
            summary="Merge a duplicate into its original (officials of both posts' areas, moderators, "
            "admins)",
            tag="officials",
            auth="required",
            body=Merge,
            response=Loose,
            errors=(403, 404, 409),
        ),
        endpoint(
            "/api/posts/{id}/duplicates",
            "GET",
            duplicates.for_post,
            summary="Possible duplicates of a report (open, same category, within 100 m, last 7 days), "
            "nearest first, for those who may merge it",
            tag="officials",
            auth="required",
            response=Items[Suggestion],
            errors=(400, 403, 404),
        ),
    ]
