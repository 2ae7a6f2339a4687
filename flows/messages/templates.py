"""The templates' loader: ``config/templates`` through Jinja2, strict about missing names.

Text templates are plain; ``.html`` templates are autoescaped (a name is text, never markup).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(str(files("config") / "templates"))

ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
)

EMAIL_KINDS = (
    "invitation",
    "retry",
    "confirmation",
    "release",
    "choose",
    "choose_again",
    "choose_late",
    "reminder",
    "move_kept",
    "staff_briefing",
    "staff_release",
    "panel_report",
    "staff_day_list",
    "recruiter_alert",
    "recruiter_call",
    "recruiter_guide",
    "catering_notice",
    "catering_order",
    "catering_cancel",
)
