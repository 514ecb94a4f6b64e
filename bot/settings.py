"""Company-set values the policy leaves open, read from the environment.

A value is shown to customers only when it is set; otherwise the bot says the
policy does not state it and gives the contact point.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional


@dataclass(frozen=True)
class CompanySettings:
    # The fee of 5.(3), as it should be shown (for example 「1件につき○○円（税込）」).
    disclosure_fee: Optional[str] = None
    # Where questions outside this desk (contracts, TV, prices) should go.
    general_contact: Optional[str] = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "CompanySettings":
        return cls(
            disclosure_fee=environ.get("TCN_DISCLOSURE_FEE") or None,
            general_contact=environ.get("TCN_GENERAL_CONTACT") or None,
        )
