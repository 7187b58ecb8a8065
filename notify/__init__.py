"""The notify worker (`warga notify`): reads the outbox with its own cursor, records one delivery per
recipient and push subscription, and sends them as Web Push (docs/notifications.md). It imports neither feed
nor realtime; it meets them in the database and the kernel's visibility rule."""
