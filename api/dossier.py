"""A case dossier as a readable HTML page (Chinese), rendered with jinja2 from the dossier data.

The page is a pure function of the dossier (:func:`domain.audit.build_dossier`): no clock, no
randomness, sorted input, so the same history and cut-off give the same bytes.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from domain import catalog as C
from domain.audit import dossier_json
from domain.rules import STEP_ZH

TEMPLATES = Path(__file__).parent / "templates"
CLOCK_STATUS_ZH = {"running": "计时中", "paused": "暂停", "met": "按期完成", "met_late": "超期完成",
                   "breached": "已逾期", "provisional": "期限待定（节假日数据未发布）",
                   "lapsed": "已过期（未使用）", "cancelled": "已取消",
                   "withdrawn_late": "逾期后撤回", None: "未开始"}
SENSE_ZH = {"happened": "按实际发生（含事后补录）", "recorded": "按当时系统记录"}
REVIEW_ZH = {"open": "待核实", "confirmed": "已确认", "dismissed": "已排除"}


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["dt"] = lambda v: "" if not v else str(v)[:16].replace("T", " ")
    env.filters["details"] = details
    return env


def details(data: dict[str, Any]) -> str:
    """What an act recorded (the note's text, the opinion, the unit…) as plain text; the page
    escapes it like every other value, and it is already masked for the caller."""
    parts = []
    for key, value in data.items():
        if value in (None, "", [], {}, False):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}={text}")
    return "; ".join(parts)


def render_html(dossier: dict[str, Any]) -> str:
    """The dossier page (Chinese)."""
    template = _env().get_template("dossier.html")
    return template.render(d=dossier, step_zh=STEP_ZH, clock_zh=CLOCK_STATUS_ZH,
                           sense_zh=SENSE_ZH, review_zh=REVIEW_ZH, event_zh=C.EVENT_ZH,
                           unit=lambda code: dossier["units"].get(code, code) if code else "",
                           person=lambda code: dossier["persons"].get(code, code) if code else "")


def render(dossier: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return dossier_json(dossier)
    if fmt == "html":
        return render_html(dossier)
    raise ValueError(f"format must be json or html, not {fmt!r}")
