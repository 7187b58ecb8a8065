"""The trust and safety domain's routes (docs/trust.md): moderation, flags, the queue, suspensions,
appeals, duplicates."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from feed.trust import appeals, duplicates, flags, moderation, queue, suspensions


def routes() -> list[BaseRoute]:
    return [
        Route("/api/posts/{id}/hide", moderation.hide_post, methods=["POST"]),
        Route("/api/posts/{id}/unhide", moderation.unhide_post, methods=["POST"]),
        Route("/api/comments/{id}/hide", moderation.hide_comment, methods=["POST"]),
        Route("/api/comments/{id}/unhide", moderation.unhide_comment, methods=["POST"]),
        Route("/api/moderation/log", moderation.log, methods=["GET"]),
        Route("/api/posts/{id}/flag", flags.flag_post, methods=["POST"]),
        Route("/api/comments/{id}/flag", flags.flag_comment, methods=["POST"]),
        Route("/api/moderation/queue", queue.list_queue, methods=["GET"]),
        Route("/api/moderation/queue/{kind}/{id}", queue.resolve, methods=["POST"]),
        Route("/api/admin/users/{id}/suspend", suspensions.suspend, methods=["POST"]),
        Route("/api/appeals", appeals.create, methods=["POST"]),
        Route("/api/appeals", appeals.list_appeals, methods=["GET"]),
        Route("/api/appeals/{id}/decision", appeals.decide, methods=["POST"]),
        Route("/api/posts/{id}/merge", duplicates.merge, methods=["POST"]),
        Route("/api/posts/{id}/duplicates", duplicates.for_post, methods=["GET"]),
    ]
