"""Search engines behind one small interface (see :class:`base.Engine`)."""

from __future__ import annotations


def make_engine(name: str, index_dir: str):
    name = (name or "none").lower()
    if name == "tantivy":
        from .tantivy_engine import TantivyEngine

        return TantivyEngine(index_dir)
    if name == "whoosh":
        from .whoosh_engine import WhooshEngine

        return WhooshEngine(index_dir)
    if name == "none":
        from .base import NullEngine

        return NullEngine(index_dir)
    raise ValueError(f"SEARCH_ENGINE must be tantivy, whoosh or none, not {name!r}")
