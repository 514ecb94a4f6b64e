"""Security headers on every response of the staff console."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

# Nothing from other origins, no scripts at all (so no inline script either), no framing.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
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
