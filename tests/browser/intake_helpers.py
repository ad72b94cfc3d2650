"""Helpers of the intake browser tests that work under the portal's CSP."""

from __future__ import annotations

from .conftest import AXE_JS
from .conftest import axe_violations as _axe_by_tag


def axe_violations(page):
    """axe-core's serious/critical violations.  Loaded with evaluate() rather than a
    <script> tag, which the portal's CSP (script-src 'self', no inline) refuses."""
    if not AXE_JS.exists():
        return _axe_by_tag(page)  # skips (or fails in CI) as the shared helper does
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document)")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def wait_until(page, expression: str, timeout_ms: int = 10000) -> None:
    """Poll ``expression`` with evaluate() (wait_for_function evaluates a string, which the
    CSP's script-src 'self' refuses)."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_ms} ms: {expression}")
