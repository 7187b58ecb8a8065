"""Photos: safe decoding, orientation, metadata stripping, variants, storage. Pillow lives only here."""
