"""The patterns of personal data in free text, in one place.

Every module that finds personal data in what customers type or what a log line
holds takes its pattern from here:

- bot.logging_privacy masks log lines: EMAIL, REFERENCE_CODE_PART, PHONE, CODE
  (on a copy folded to half-width, so that 「０９０－…」 is found too);
- bot.tools.masking masks messages for the review inbox: EMAIL, the NLU's
  `ticket_ref` and `phone_number` (nlu_regexes()), CODE, LONG_NUMBER,
  LATIN_NAME, INTRODUCED_NAME (on normalized text);
- bot.console.transcript keeps verification codes off staff screens: CODE;
- bot.intake.fields reads a contact: EMAIL gives the candidates, email_validator
  decides (phone numbers are read by `phonenumbers`, not by a pattern);
- bot.intake.status reads a status lookup: REFERENCE_AS_TYPED, CODE_AS_TYPED.

Rasa's RegexEntityExtractor takes its patterns from the training data only, so
data/nlu/regexes.yml holds the NLU's own `email`, `phone_number` and `ticket_ref`;
`nlu_regexes()` reads them, and tests/test_personal_data.py keeps their `email`
equal to EMAIL. The format of a reference itself (its alphabet, its canonical
form) is bot.cases.references'.
"""

from __future__ import annotations

import re
from pathlib import Path

# data/nlu/regexes.yml: the patterns of Rasa's RegexEntityExtractor.
NLU_REGEXES = Path(__file__).resolve().parents[1] / "data" / "nlu" / "regexes.yml"

# An e-mail address, valid or not (the `email` regex of data/nlu/regexes.yml).
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# A Japanese phone number as a log line may hold it: 0 or +81, then 9 or 10 digits with
# hyphens, spaces or brackets. Broader than the NLU's `phone_number`: a log masks too much
# rather than too little.
PHONE = re.compile(r"(?<!\d)(?:\+81|0)(?:[-() ]{0,2}\d){9,10}(?!\d)")

# A verification code: six digits on their own, never part of a longer number. (`\d`
# also matches full-width digits, for text that is not folded first.)
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")

# A verification code as customers type it: 「968851」「968 851」「968-851」; the groups
# are its two halves. For ASCII text (normalized, dashes unified).
CODE_AS_TYPED = re.compile(r"(?<![0-9])([0-9]{3})[\s-]?([0-9]{3})(?![0-9])")

# A reference in a log line: group 1 is the part that is kept (「PR-20261129-」), the
# six characters after it are what, with the code, opens a status lookup.
REFERENCE_CODE_PART = re.compile(r"(PR-?\d{8}-?)[A-Z0-9]{6}(?![A-Za-z0-9])", re.IGNORECASE | re.ASCII)

# A reference as customers type it: 「PR 20261130 UBNECZ」「pr-2026-1130-ubnecz」, spaces
# and hyphens anywhere between the characters; the groups are its 8 digits and its 6
# characters (bot.cases.references.normalize_reference decides whether it is one).
REFERENCE_AS_TYPED = re.compile(
    r"(?<![A-Za-z0-9])P[\s-]*R((?:[\s-]*[0-9]){8})((?:[\s-]*[A-Za-z0-9]){6})(?![A-Za-z0-9])",
    re.IGNORECASE | re.ASCII)

# Seven digits or more: a customer number, an account number.
LONG_NUMBER = re.compile(r"\d{7,}")

# A name in Latin letters (「John Smith」), which GiNZA's NER misses.
LATIN_NAME = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?: [A-Z][a-z]+)+(?![A-Za-z])")

# Whatever 「…と申します」 introduces: a name however it is written (hiragana included).
INTRODUCED_NAME = re.compile(
    r"[^\s、。,.!?！？]{1,10}(?: [^\s、。,.!?！？]{1,10})?(?= ?(?:と申します|ともうします|といいます|と言います))")


def nlu_regexes(path: Path = NLU_REGEXES) -> dict[str, re.Pattern[str]]:
    """The regexes of data/nlu/regexes.yml by name (`phone_number`, `email`,
    `ticket_ref`), compiled: what the NLU extracts as entities."""
    import yaml

    blocks = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
    return {block["regex"]: re.compile(block["examples"].strip()[2:]) for block in blocks if "regex" in block}
