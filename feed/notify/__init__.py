"""Notifications' HTTP side: Web Push subscriptions and follows (docs/notifications.md); the notify worker
(the top-level notify/ package) sends them."""
