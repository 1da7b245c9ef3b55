"""Cells written to a CSV file that a spreadsheet opens: text a person typed (a partner's name, a
village's, a skill's label) must never run as a formula there (CSV injection: `=HYPERLINK(…)`,
`=cmd|…`, `@SUM(…)`). Every CSV writer passes each cell through `safe_cell`, once, where it writes.

OWASP's advice: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
single quote in front, which spreadsheets show as text. A plain number (`-12,50`, `+3`) is left as
it is: it cannot run, and quoting it would turn the figures into text nobody can add up.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def safe_cell(value):
    """The value as a spreadsheet may read it: text that would start a formula is quoted."""
    if (
        not isinstance(value, str)
        or not value.startswith(FORMULA_STARTS)
        or _NUMBER.fullmatch(value)
    ):
        return value
    return "'" + value
