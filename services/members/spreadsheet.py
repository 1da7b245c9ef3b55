"""An inhabitants' file as uploaded (CSV or Excel's .xlsx) turned into the CSV text the import reads
(people_import.parse): one line per row of the sheet, blank rows kept, so that the import's line
numbers are the spreadsheet's row numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from backbone.errors import InvalidInput
from backbone.messages import msg

XLSX_MAGIC = b"PK\x03\x04"  # a zip archive: what an .xlsx file is


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 100_000_000 <= value < 1e9:
        # a phone typed in a number cell lost its leading 0 (612345678): the import reads it so
        return f"0{value}"
    # a line break inside a cell would make the row two lines and shift every line number after it
    return " ".join(str(value).split())


def xlsx_text(raw: bytes) -> str:
    """The first sheet of a workbook as `;`-separated text."""
    from openpyxl import load_workbook  # only an upload of a workbook needs it

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InvalidInput({"file": [msg("spreadsheet_unreadable")]}) from None
    try:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        for row in book.worksheets[0].iter_rows(values_only=True):
            cells = [_cell(value) for value in row]
            while cells and not cells[-1]:
                cells.pop()
            writer.writerow(cells)
        return out.getvalue()
    finally:
        book.close()


def upload_text(filename: str, raw: bytes) -> str:
    """The text of an uploaded file: a workbook (.xlsx, recognised by its content) or a CSV."""
    if raw.startswith(XLSX_MAGIC) or (filename or "").lower().endswith((".xlsx", ".xlsm")):
        return xlsx_text(raw)
    return decode_text(raw)


def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else Windows-1252 (Excel's 'CSV' on Windows)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")
