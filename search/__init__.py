"""Search: one small interface in front of the engines (tantivy by default, Whoosh).

Public interface (nothing outside ``search/`` touches an engine):

* ``search.init_app(app)`` — engine from SEARCH_ENGINE / SEARCH_INDEX_DIR,
  session hooks (index after commit), blueprint ``search``, CLI ``portal search``.
* ``search.suggest_agencies(text, limit=8) -> list[Agency]`` — autocomplete.
* ``search.service.run_search(params) -> SearchPage`` — what the search page shows.
* ``search.indexing.index_keys(keys)`` — re-index rows by key (hooks call it).
"""

from __future__ import annotations

from .text import segmenter


def init_app(app):
    from . import changes, cli, indexing, views  # noqa: F401  (changes: the log's table)
    from .engines import make_engine

    engine = make_engine(app.config["SEARCH_ENGINE"],
                         app.config["SEARCH_INDEX_DIR"])
    app.extensions["search"] = engine
    indexing.register_hooks()
    app.register_blueprint(views.bp)
    cli.init_app(app)


def get_engine(app=None):
    from flask import current_app

    return (app or current_app).extensions["search"]


def get_segmenter(app=None):
    return segmenter(get_engine(app).segmenter_flavour)


def suggest_agencies(text: str, limit: int = 8):
    """Agencies whose name, former name or USCC matches ``text`` (autocomplete)."""
    from .service import suggest_agencies as _suggest

    return _suggest(text, limit)
