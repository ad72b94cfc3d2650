"""The portal's errors: ``PortalError``, the base of every error a person sees, and the
error pages (one template; the title and explanation of each error in one table)."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError


class PortalError(Exception):
    """Base of every error the portal shows a person: a message in the page's language
    and the HTTP status a view answers with.  ``errors`` maps form fields to messages
    when the error concerns particular fields (validation); otherwise it is empty.

    Services raise subclasses; views catch ``PortalError`` (or a subclass) and render
    ``message`` / ``errors`` with ``status``.
    """

    status: int = 400

    def __init__(self, message: str = "", *, errors: dict[str, str] | None = None,
                 status: int | None = None):
        self.errors = dict(errors or {})
        self.message = str(message) if message else "; ".join(
            f"{k}: {v}" for k, v in self.errors.items())
        if status is not None:
            self.status = status
        super().__init__(self.message)


ERROR_MESSAGES = {
    400: (_l("请求有误"), _l("提交的内容无法处理，请返回检查后重试。")),
    403: (_l("无权访问"), _l("您没有访问此页面的权限。")),
    404: (_l("页面不存在"), _l("您访问的页面不存在，可能地址有误或内容已被移除。")),
    410: (_l("页面已删除"), _l("您访问的内容已不再公开。")),
    405: (_l("不支持的请求方式"), _l("此页面不接受这种请求方式。")),
    413: (_l("提交的内容过大"),
          _l("提交的文件或内容超过了大小限制（每个文件不超过 10 MB，最多 5 个）。"
             "请减少或压缩文件后重试。")),
    429: (_l("请求过于频繁"), _l("您的操作过于频繁，请稍后再试。")),
    500: (_l("系统错误"), _l("系统暂时出现问题，请稍后再试。您已提交成功的内容不会丢失。")),
    "csrf": (_l("页面已过期"),
             _l("为保护您的安全，表单需要有效的安全令牌。请返回上一页，刷新后重新提交。")),
}


def render_error(key, status: int, message: str = ""):
    title, explanation = ERROR_MESSAGES[key]
    return render_template("errors/error.html", title=title, status=status,
                           message=message or explanation), status


def render_portal_error(error: PortalError):
    """A service error no view caught: the error page with its status and its message."""
    status = error.status
    key = status if status in ERROR_MESSAGES else (500 if status >= 500 else 400)
    return render_error(key, status, error.message)


def init_app(app) -> None:
    for code in (key for key in ERROR_MESSAGES if isinstance(key, int)):
        app.register_error_handler(code, lambda error, code=code: render_error(code, code))
    app.register_error_handler(CSRFError, lambda error: render_error("csrf", 400))
    app.register_error_handler(PortalError, render_portal_error)
