"""The panel's report after her interview: ``/panel/reports/<token>``, emailed to each panel
member at the interview's planned end (``flows/the_day.py``). One minute: did she come (on time,
late, not at all), did she follow the dress and bring instructions, her enthusiasm and
professionalism 1 to 5, notes. The same fields as the waiting run's resume form (``DayReport``).

The link is signed like hers (``web/signed.py``): 400 for a changed or forged one, 410 once the
time to report is over, and neither records anything. The report goes to the inbox under one key
per candidate and time she held (the first panel member's is the one recorded), then to her run;
a second submission shows the first and changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, ValidationError

from config.links import LinkClaim
from flows.day_report import Attendance, DayReport
from flows.messages.context import PANEL, context
from flows.models import Decision, Reply, ReplyChannel, Wait
from web.inbox import Inbox
from web.signed import Scored, page_response, signed_claim, standing_of

router = APIRouter(prefix="/panel", tags=["panel"])
CAME = {"on_time": Attendance.on_time, "late": Attendance.late, "no_show": Attendance.no_show}
SAID = {"yes": True, "no": False, "": None}


class ReportForm(Scored):
    """The form as posted: strings, checked into a ``DayReport`` (a bad value gets a page, not JSON)."""

    came: str = Field(max_length=10)
    dressed: str = Field(default="", max_length=3)
    brought: str = Field(default="", max_length=3)
    notes: str = Field(default="", max_length=2000)
    by: str = Field(default="", max_length=200)

    def report(self) -> DayReport:
        return DayReport(
            came=CAME[self.came],
            dressed_as_asked=SAID[self.dressed],
            brought_as_asked=SAID[self.brought],
            **self.scores(),
            notes=self.notes.strip(),
            by=self.by.strip(),
        )


def report_key(claim: LinkClaim) -> str:
    return f"panel-report:{claim.round_id}.{claim.candidate_id}:{claim.attempt}"


@router.get("/reports/{token}", response_class=HTMLResponse, summary="The panel's report form")
async def report_form(token: str, request: Request) -> Response:
    claim = signed_claim(token, {PANEL})
    if isinstance(claim, HTMLResponse):
        return claim
    inbox: Inbox = request.app.state.inbox
    where = await standing_of(claim)
    ctx = None
    if where is not None and where.slot is not None:
        ctx = context(where.request.round, where.request.candidate, where.slot)
    first = await inbox.get(report_key(claim))
    title = f"How did {ctx.name}'s interview go?" if ctx else "How did the interview go?"
    report = first.reply.report if first else None
    return page_response(
        "panel_report.html", title=title, ctx=ctx, first=first, report=report, action=f"/panel/reports/{token}"
    )


@router.post("/reports/{token}", response_class=HTMLResponse, summary="Record the panel's report")
async def record_report(token: str, request: Request, form: Annotated[ReportForm, Form()]) -> Response:
    claim = signed_claim(token, {PANEL})
    if isinstance(claim, HTMLResponse):
        return claim
    try:
        report = form.report()
    except (KeyError, ValueError, ValidationError):
        message = "Sorry: please say whether she came, and give scores from 1 to 5."
        return page_response("problem.html", 422, title="We did not understand", message=message)
    # the inbox keeps replies: a report rides in one that answers the report wait (its decision unused)
    reply = Reply(
        decision=Decision.confirm,
        channel=ReplyChannel.recruiter,
        answers=Wait.report.pause_key(claim.attempt),
        report=report,
        notes="the panel's report",
    )
    inbox: Inbox = request.app.state.inbox
    if (await inbox.add(report_key(claim), claim.round_id, claim.candidate_id, reply)).new:
        request.app.state.deliverer.wake.set()
    return RedirectResponse(f"/panel/reports/{token}", status_code=303)
