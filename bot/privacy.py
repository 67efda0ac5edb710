"""Keep personal data out of what is stored for staff and out of logs."""

from __future__ import annotations

import re
import unicodedata

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Phone numbers, inquiry numbers, postcodes: any run of 4+ digits (hyphens/spaces inside).
_DIGITS = re.compile(r"\d[\d\s\-‐ー－]{2,}\d")


def redact(text: str) -> str:
    """Replace emails and long digit runs by placeholders (after width folding)."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _EMAIL.sub("［メール］", folded)
    return _DIGITS.sub(lambda m: "［番号］" if sum(c.isdigit() for c in m.group()) >= 4
                       else m.group(), folded)
