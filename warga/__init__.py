"""warga: a real-time civic feed. This package wires feed/, realtime/, media/ and db/ into one program."""
