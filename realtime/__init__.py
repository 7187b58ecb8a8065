"""Live fan-out: the outbox relay, the broker (memory or Redis) and the websocket gateway."""
