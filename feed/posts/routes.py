"""The posts domain's routes: reports, the nearby feed, votes, comments, categories and photos, each declared
with its shapes (feed/posts/shapes.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from feed.core.endpoint import endpoint
from feed.core.shapes import Category, Comment, Items, Page
from feed.posts import categories, comments, nearby, photos, reports, votes
from feed.posts.shapes import (
    CommentsParams,
    CreatedPost,
    FeedItem,
    FeedParams,
    Located,
    NewComment,
    NewPostBody,
    NewPostWithPhotos,
    OnePhoto,
    PostDetail,
    Vote,
)
from feed.trust.idempotency import HEADER as IDEMPOTENCY_KEY

TAG = "posts"
RETRY = {IDEMPOTENCY_KEY: "A retry with the same key answers the first request's result (24 h)."}


def routes() -> list[BaseRoute]:
    return [
        endpoint(
            "/api/categories",
            "GET",
            categories.list_categories,
            summary="Report categories",
            tag="meta",
            response=Items[Category],
        ),
        endpoint(
            "/api/posts",
            "POST",
            reports.create,
            summary="Create a post (JSON, or multipart with 1-4 `photo` files)",
            tag=TAG,
            auth="required",
            body=NewPostBody,
            forms={"multipart/form-data": NewPostWithPhotos},
            headers=RETRY,
            response=CreatedPost,
            status=201,
            also={202: CreatedPost},  # held for review (docs/trust.md)
            errors=(403, 409, 429),
        ),
        endpoint(
            "/api/photos/locate",
            "POST",
            reports.locate_photo,
            summary="Read a photo's GPS position without storing anything (preview for location_from_photo)",
            tag=TAG,
            auth="required",
            forms={"multipart/form-data": OnePhoto},
            response=Located,
            errors=(429,),
        ),
        endpoint(
            "/api/posts/{id}",
            "GET",
            reports.get_post,
            summary="One post",
            tag=TAG,
            auth="optional",
            response=PostDetail,
            errors=(404,),
        ),
        endpoint(
            "/api/posts/{id}",
            "DELETE",
            reports.delete_post,
            summary="Delete one's own post",
            tag=TAG,
            auth="required",
            status=204,
            description="Deleted",
            errors=(403, 404),
        ),
        endpoint(
            "/api/feed",
            "GET",
            nearby.feed,
            summary="Newest visible posts within a radius of a point",
            tag=TAG,
            auth="optional",
            query=FeedParams,
            response=Page[FeedItem],
        ),
        endpoint(
            "/api/posts/{id}/vote",
            "PUT",
            votes.vote,
            summary="Vote (idempotent)",
            tag=TAG,
            auth="required",
            response=Vote,
            errors=(403, 404, 429),
        ),
        endpoint(
            "/api/posts/{id}/vote",
            "DELETE",
            votes.unvote,
            summary="Withdraw a vote (idempotent)",
            tag=TAG,
            auth="required",
            response=Vote,
            errors=(403, 404, 429),
        ),
        endpoint(
            "/api/posts/{id}/comments",
            "GET",
            comments.list_comments,
            summary="Comments, newest first",
            tag=TAG,
            auth="optional",
            query=CommentsParams,
            response=Page[Comment],
            errors=(404,),
        ),
        endpoint(
            "/api/posts/{id}/comments",
            "POST",
            comments.create_comment,
            summary="Comment on a post",
            tag=TAG,
            auth="required",
            body=NewComment,
            headers=RETRY,
            response=Comment,
            status=201,
            errors=(403, 404, 409, 429),
        ),
        endpoint(
            "/api/comments/{id}",
            "DELETE",
            comments.delete_comment,
            summary="Delete one's own comment",
            tag=TAG,
            auth="required",
            status=204,
            description="Deleted",
            errors=(403, 404),
        ),
        endpoint(
            "/media/{key:path}",
            "GET",
            photos.media,
            summary="A stored photo variant",
            tag="media",
            media={"image/*": None},
            description="Image bytes",
            errors=(404,),
        ),
    ]
