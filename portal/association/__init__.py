"""Association self-discipline measures (行业自律惩戒, issue 14): the editable vocabulary of
measures (``measure_kinds``), the party of a measure (``parties``), the staff page where the
association publisher edits the vocabulary (blueprint "association") and demo data.

The measures themselves are a kind of public record (``portal.register.kinds``): the
register's pages, forms, import, downloads, API, feeds and search serve them."""


def init_app(app):
    from . import views

    app.register_blueprint(views.bp)
