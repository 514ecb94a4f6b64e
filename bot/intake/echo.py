"""Customer input shown back in a bot message, as plain text, contacts masked.

The web chat renders bot messages as Markdown, so 「[公式ログイン](http://…)」
typed as request details would come back as a link in the bot's own summary.
`plain_text` replaces the characters that start Markdown or HTML markup with
their full-width forms, which read the same and mark nothing up, and breaks
URL schemes so that no autolink forms. Stored values are never changed; only
what is displayed.

A conversation id is not a key (docs/privacy.md): whoever sends on it gets the
replies, so a phone number or e-mail address the bot keeps is only ever shown
back masked (`masked_contact`), enough for the customer to recognise it and not
for anyone else to use it: 「090-＊＊＊＊-5678」「h＊＊＊@example.jp」. The mask is the
full-width ＊, which no renderer takes for markup (「-****-5678 / h***@」 would be
emphasis in Markdown).
"""

from __future__ import annotations

import re
from typing import Optional

import phonenumbers

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


MASK = "＊"
# The number of masks for a hidden local part, whatever its length: the length is
# not told either.
_LOCAL_MASK = MASK * 3


def masked_phone(phone: str) -> str:
    """A Japanese phone number with only its first and last groups of the national
    format (phonenumbers, as the form stores it) left: 「090-1234-5678」→
    「090-＊＊＊＊-5678」, 「0120-123-456」→「0120-＊＊＊-456」. Text that is no number
    in groups keeps only its last four digits. Never raises."""
    try:
        national = phonenumbers.format_number(phonenumbers.parse(phone, "JP"),
                                              phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        national = phone
    groups = national.split("-")
    if len(groups) >= 3 and all(group.isdigit() for group in groups):
        return "-".join([groups[0], *(MASK * len(group) for group in groups[1:-1]), groups[-1]])
    digits = re.sub(r"\D", "", national)
    return MASK * max(len(digits) - 4, 0) + digits[-4:]


def masked_email(email: str) -> str:
    """The address with its local part hidden but for its first character (none when it
    has only one), the domain kept: 「hanako@example.jp」→「h＊＊＊@example.jp」. The domain
    says which address without reaching its owner; as plain text."""
    local, _, domain = email.rpartition("@")
    first = local[:1] if len(local) > 1 else ""
    return plain_text(first) + _LOCAL_MASK + "@" + plain_text(domain)


def masked_contact(phone: Optional[str], email: Optional[str]) -> str:
    """「090-＊＊＊＊-5678 / h＊＊＊@example.jp」: what is given of the two, masked, as the
    bot shows a contact it keeps everywhere (summary, notes, handoff)."""
    shown = [masked_phone(phone) if phone else None, masked_email(email) if email else None]
    return " / ".join(value for value in shown if value)
