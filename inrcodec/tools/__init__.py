"""Tooling around the codec, not part of it: batch encoding (``batch``), the side-by-side comparison
with classic codecs (``compare``, ``reference_codecs``, ``pictures``)."""
