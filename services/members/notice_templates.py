"""What a notice says, from French templates kept as files so that the network edits them without
code: `templates/notices/<name>.txt` (the SMS, the call list's line and the e-mail's plain-text
part), `<name>.subject.txt` (the e-mail's subject) and `<name>.html` (its HTML part).
`MAILLAGE_TEMPLATES_DIR` names a directory searched first: a file there replaces the one shipped
(`<dir>/notices/order_ready.txt`…), the others stay."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from backbone import config

SHIPPED = Path(__file__).parent / "templates"
_environments: dict = {}


def _environment() -> Environment:
    override = config.value("MAILLAGE_TEMPLATES_DIR")
    override = str(override) if override else None
    if override not in _environments:
        _environments[override] = Environment(
            loader=FileSystemLoader([p for p in (override, SHIPPED) if p]),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            keep_trailing_newline=False,
            auto_reload=True,
        )
    return _environments[override]


def render(name: str, part: str, context: dict) -> str:
    """`part`: "txt", "subject.txt" or "html"."""
    return _environment().get_template(f"notices/{name}.{part}").render(**context).strip()


def render_text(name: str, context: dict) -> str:
    return render(name, "txt", context)


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """(subject, plain text with the opt-out footer, HTML)."""
    subject = " ".join(render(name, "subject.txt", context).split())
    text = render(name, "txt", context) + _environment().get_template("notices/_footer.txt").render(
        **context
    )
    return subject, text.rstrip() + "\n", render(name, "html", context)
