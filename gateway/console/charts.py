"""Inline SVG bar charts rendered on the server (no script, no CDN), readable without colour:
each bar carries its value as text, and the chart has a title and a text description."""

from __future__ import annotations

from html import escape

PALETTE = ("#0b4f8a", "#1b5e20", "#8a3b0b", "#4a148c")


def _fmt(value: float, unit: str) -> str:
    text = f"{value:,.1f}".replace(",", "\u202f").replace(".", ",").removesuffix(",0")
    return f"{text} {unit}".strip()


def bar_chart(
    title: str, bars: list[tuple[str, float]], unit: str = "", index: int = 0, width: int = 560
) -> str:
    label_w, row_h, pad = 230, 30, 8
    height = pad * 2 + 28 + row_h * max(len(bars), 1)
    top = max([v for _, v in bars] + [0]) or 1
    span = width - label_w - 90
    colour = PALETTE[index % len(PALETTE)]
    desc = "; ".join(f"{name} : {_fmt(value, unit)}" for name, value in bars) or "aucune donnée"
    ident = f"chart-{index}"
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{ident}-t {ident}-d" viewBox="0 0 '
        f'{width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>',
        f'<text x="{pad}" y="{pad + 16}" font-size="16" font-weight="bold" '
        f'fill="#1a1a1a">{escape(title)}</text>',
    ]
    for i, (name, value) in enumerate(bars):
        y = pad + 28 + i * row_h
        w = max(int(span * value / top), 2 if value else 0)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 19}" font-size="14" text-anchor="end" fill="#1a1a1a">'
            f"{escape(name if len(name) <= 26 else name[:25] + '…')}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 10}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 6}" y="{y + 19}" font-size="14" fill="#1a1a1a">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
