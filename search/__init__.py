"""Search: one small interface in front of the engines (tantivy by default, Whoosh)."""


def init_app(app):
    from . import views

    app.register_blueprint(views.bp)
