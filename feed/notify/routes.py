"""The notify domain's routes: push subscriptions and follows, declared with their shapes
(feed/notify/shapes.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from feed.core.endpoint import endpoint
from feed.core.shapes import Page
from feed.notify import follows, subscriptions
from feed.notify.shapes import (
    Follow,
    Following,
    FollowsParams,
    PushSubscriptionBody,
    Subscribed,
    Unsubscribe,
)

TAG = "notify"


def routes() -> list[BaseRoute]:
    return [
        endpoint(
            "/api/push/subscriptions",
            "POST",
            subscriptions.subscribe,
            summary="Register this browser's PushSubscription (201 new; 200 for an endpoint already known)",
            tag=TAG,
            auth="required",
            body=PushSubscriptionBody,
            response=Subscribed,
            status=201,
            also={200: Subscribed},
            errors=(409,),
        ),
        endpoint(
            "/api/push/subscriptions",
            "DELETE",
            subscriptions.unsubscribe,
            summary="Drop one of the caller's push subscriptions",
            tag=TAG,
            auth="required",
            body=Unsubscribe,
            status=204,
            description="Deleted",
            errors=(404,),
        ),
        endpoint(
            "/api/posts/{id}/follow",
            "PUT",
            follows.follow,
            summary="Follow a report: its status changes, comments and merge are pushed to you",
            tag=TAG,
            auth="required",
            response=Following,
            errors=(404,),
        ),
        endpoint(
            "/api/posts/{id}/follow",
            "DELETE",
            follows.unfollow,
            summary="Stop following a report",
            tag=TAG,
            auth="required",
            response=Following,
            errors=(404,),
        ),
        endpoint(
            "/api/me/follows",
            "GET",
            follows.my_follows,
            summary="The reports you follow, newest first",
            tag=TAG,
            auth="required",
            query=FollowsParams,
            response=Page[Follow],
        ),
    ]
