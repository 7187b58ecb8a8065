"""The HTTP API: accounts, posts, the nearby feed, votes, comments, moderation."""
