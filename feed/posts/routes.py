"""The posts domain's routes: reports, the nearby feed, votes, comments, categories and photos."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from feed.posts import categories, comments, nearby, photos, reports, votes


def routes() -> list[BaseRoute]:
    return [
        Route("/api/categories", categories.list_categories),
        Route("/api/posts", reports.create, methods=["POST"]),
        Route("/api/photos/locate", reports.locate_photo, methods=["POST"]),
        Route("/api/posts/{id}", reports.get_post, methods=["GET"]),
        Route("/api/posts/{id}", reports.delete_post, methods=["DELETE"]),
        Route("/api/feed", nearby.feed, methods=["GET"]),
        Route("/api/posts/{id}/vote", votes.vote, methods=["PUT"]),
        Route("/api/posts/{id}/vote", votes.unvote, methods=["DELETE"]),
        Route("/api/posts/{id}/comments", comments.list_comments, methods=["GET"]),
        Route("/api/posts/{id}/comments", comments.create_comment, methods=["POST"]),
        Route("/api/comments/{id}", comments.delete_comment, methods=["DELETE"]),
        Route("/media/{key:path}", photos.media, methods=["GET"]),
    ]
