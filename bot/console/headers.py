"""Security headers on every response of the staff console."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

# Nothing from other origins, no inline script or style, no framing. The one script
# (static/console.js: the queue's refresh, notifications, the print button) and what it
# fetches come from this origin; every page works without it.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; connect-src 'self'; "
                           "style-src 'self'; img-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: Flask-WTF checks the Referer of forms posted over HTTPS.
    "Referrer-Policy": "same-origin",
}


def install(app: Flask) -> None:
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if request.endpoint != "static":
        # Pages show personal data: no copies in the browser's or a proxy's cache.
        response.headers["Cache-Control"] = "no-store"
    return response
