"""The kernel: what every layer of warga shares and that imports nothing of warga's other packages —
settings, geography, metrics, logs, the visibility rule, proxies, tokens, categories, owners' keys."""
