"""Customer input shown back in a bot message, as plain text.

The web chat renders bot messages as Markdown, so 「[公式ログイン](http://…)」
typed as request details would come back as a link in the bot's own summary.
`plain_text` replaces the characters that start Markdown or HTML markup with
their full-width forms, which read the same and mark nothing up, and breaks
URL schemes so that no autolink forms. Stored values are never changed; only
what is displayed.
"""

from __future__ import annotations

import re

_MARKUP = str.maketrans({
    "[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞", "*": "＊", "_": "＿",
    "`": "｀", "!": "！", "#": "＃", "|": "｜", "~": "～", "\\": "＼", "&": "＆",
})
# 「http://」「javascript:」: the colon of a scheme, which autolinking needs.
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//|[a-z])")


def plain_text(value: object) -> str:
    """`str(value)` as text that no Markdown or HTML renderer turns into markup:
    the same length, each markup character and the colon after a URL scheme
    replaced by its full-width form."""
    return _SCHEME.sub(r"\1：", str(value).translate(_MARKUP))
