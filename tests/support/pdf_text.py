"""The text of a PDF the gateway made (fpdf2): enough to read what a report says."""

import re
import zlib


def pdf_texts(pdf: bytes) -> list[str]:
    """The report's text, decoded once with each embedded font's ToUnicode map (or as latin-1)."""
    streams = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            streams.append(zlib.decompress(raw))
        except zlib.error:
            streams.append(raw)
    maps = [
        {
            int(a, 16): chr(int(b, 16))
            for a, b in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,})>", s)
        }
        for s in streams
        if b"beginbfchar" in s
    ]
    escapes = {
        b"n": b"\n",
        b"r": b"\r",
        b"t": b"\t",
        b"b": b"\b",
        b"f": b"\f",
        b"(": b"(",
        b")": b")",
        b"\\": b"\\",
    }
    strings = []
    for stream in streams:
        for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", stream, re.S):
            strings.append(re.sub(rb"\\([nrtbf()\\])", lambda m: escapes[m.group(1)], raw))
    texts = [" ".join(s.decode("latin-1") for s in strings)]
    for cmap in maps:
        texts.append(
            " ".join(
                "".join(
                    cmap.get(int.from_bytes(s[i : i + 2], "big"), "?")
                    for i in range(0, len(s) - 1, 2)
                )
                for s in strings
            )
        )
    return texts
