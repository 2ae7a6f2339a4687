"""What we write: every email kind from the example round, escaping, the MIME layout, the invite.

Pure: templates, icalendar and the email package; no Prefect, no server.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
from dataclasses import fields
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar
from jinja2 import meta
from markupsafe import escape

from config.round import Candidate, HiringRound
from config.settings import Settings
from flows.messages import render as rendering
from flows.messages.context import AlertContext, MessageContext, context
from flows.messages.invites import interview_invite
from flows.messages.render import CateringMessage, catering_email, recruiter_email, render, render_email, staff_email
from flows.messages.templates import EMAIL_KINDS, ENVIRONMENT, TEMPLATES
from flows.models import Slot
from sandbox.rounds import example_data
from tasks.effects import EffectKey
from tasks.mail import Email, Invite, compose

SETTINGS = Settings(smtp_from="jobs@northwind.example")


def example(**candidate: Any) -> HiringRound:
    data = example_data()
    data["candidates"][0].update(candidate)
    return HiringRound.model_validate(data)


def slot_for(round_: HiringRound, start: datetime) -> Slot:
    return Slot(start=start, end=start + round_.plan.duration, room_id=round_.rooms[0].id)


def every_kind(round_: HiringRound, candidate: Candidate, *, attempt: int = 2) -> dict[str, Email]:
    """Every email kind, each built the way the runs build it (staff, caterer, recruiter helpers)."""
    ctx = context(round_, candidate, SLOT, attempt=attempt, reason="declined")
    member = round_.staff[0]
    built = {kind: render_email(kind, ctx, to=candidate.email, to_name=candidate.name) for kind in CANDIDATE_KINDS}
    built |= {kind: staff_email(kind, ctx, member) for kind in ("staff_briefing", "staff_release")}
    for kind in CateringMessage:
        message = catering_email(round_, candidate, SLOT, kind=kind)
        assert message is not None
        built[kind.value] = message
    built["panel_report"] = rendering.panel_report_email(round_, candidate, SLOT, member, move=0)
    built["staff_day_list"] = staff_email("staff_day_list", dataclasses.replace(ctx, day_list=(ctx, ctx)), member)
    built["recruiter_alert"] = recruiter_email(round_, candidate, "declined", f"{candidate.name} declined.")
    recruiter = round_.organisation.recruiter
    for name in ("recruiter_call", "recruiter_guide"):
        built[name] = render_email(name, ctx, to=recruiter.email, to_name=recruiter.name)
    return built


CHOOSE_KINDS = ("choose", "choose_again", "choose_late")  # first offer, an offer again, her second chance
CANDIDATE_KINDS = ("invitation", "retry", "confirmation", "release", *CHOOSE_KINDS, "reminder", "move_kept")
ROUND = example()
ALICE = ROUND.candidates[0]
SLOT = slot_for(ROUND, datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc))


@pytest.mark.parametrize("kind", EMAIL_KINDS)
def test_every_kind_renders_both_parts_from_the_example_round(kind: str) -> None:
    message = every_kind(ROUND, ALICE)[kind]
    assert message.subject and "\n" not in message.subject
    assert message.text.strip() and message.html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in message.html
    assert "{{" not in message.text + message.html


def test_the_confirmation_carries_every_detail_of_the_day_on_the_venues_clock_and_hers() -> None:
    ctx = context(ROUND, ALICE, SLOT)
    message = render_email("confirmation", ctx, to=ALICE.email, to_name=ALICE.name)
    plan = ROUND.plan
    assert plan.location is not None
    # she must be in London at 09:00 London time; 04:00 is her own clock in New York
    details = [
        "Tuesday 08 December 2026 at 09:00 London time (04:00 in New York)",
        "6 h",
        plan.location.name,
        plan.location.address,
        plan.location.directions,
        plan.what_to_expect,
        plan.attire,
        *plan.bring,
        *(a.name for a in plan.activities),
        *(a.description for a in plan.activities if a.description),
        *(ROUND.staff_member(p).name for p in plan.panel),
        *(ROUND.staff_member(p).role for p in plan.panel),
        "09:00 (04:00 in New York)",  # the exam starts with the day
        "10:30 (05:30 in New York)",  # lunch after the 90-minute exam
    ]
    for detail in details:
        assert detail in message.text, detail
        assert str(escape(detail)) in message.html, detail
    briefing = staff_email("staff_briefing", ctx, ROUND.staff[0]).text
    assert "Tuesday 08 December 2026 at 09:00 London time, about 6 h" in briefing  # staff: the venue's clock
    assert "New York" not in briefing


def test_the_caterer_is_told_the_meal_time_not_the_start_of_the_day() -> None:
    order = catering_email(ROUND, ALICE, SLOT, kind=CateringMessage.order)
    assert (
        order is not None
        and "for 3 people on Tuesday 08 December 2026 at 10:30 London time in the Thames room" in order.text
    )
    assert "3 people" in order.text


def test_the_invitation_offers_all_three_answers_and_the_retry_says_it_is_the_last() -> None:
    first = render_email("invitation", context(ROUND, ALICE, SLOT, attempt=1), to=ALICE.email, to_name=ALICE.name)
    last = render_email("retry", context(ROUND, ALICE, SLOT, attempt=2), to=ALICE.email, to_name=ALICE.name)
    for message in (first, last):
        for choice in ("confirm", "decline", "another-time"):
            assert f".{choice}." in message.text and f".{choice}." in message.html
    assert "someone else" in last.text and "someone else" not in first.text
    assert last.subject.startswith("Reminder")


def test_hostile_names_are_text_in_html_and_never_leave_the_subject_line() -> None:
    hostile = example(name='<img src=x onerror="alert(1)"> O\'Brien & Co')
    candidate = hostile.candidates[0]
    messages = every_kind(hostile, candidate)
    assert set(messages) == set(EMAIL_KINDS)
    for kind, message in messages.items():
        assert "<img" not in message.html, kind
        if "&lt;img" not in message.html:  # not every kind names her; those that do, escape
            assert candidate.name not in message.html
    confirmation = messages["confirmation"]
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; O&#39;Brien &amp; Co" in confirmation.html
    mime = compose(key("confirmation"), confirmation, SETTINGS)
    parsed = email.message_from_bytes(mime.as_bytes(), policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == candidate.name
    assert parsed["To"].addresses[0].addr_spec == candidate.email


def key(step: str, attempt: int = 0) -> EffectKey:
    return EffectKey(round_id=ROUND.id, candidate_id=ALICE.id, attempt=attempt, step=step)


def parse(mime: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(mime.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_mime_layout_and_a_message_id_per_key() -> None:
    ics = interview_invite(ROUND, ALICE, SLOT, method="REQUEST", stamp=SLOT.start, domain=SETTINGS.mail_domain)
    message = render_email(
        "confirmation",
        context(ROUND, ALICE, SLOT),
        to=ALICE.email,
        to_name=ALICE.name,
        invite=Invite(ics=ics, method="REQUEST"),
    )
    first, again = (
        parse(compose(key("confirmation"), message, SETTINGS)),
        compose(key("confirmation"), message, SETTINGS),
    )
    assert (
        first["Message-ID"] == again["Message-ID"] == "<backend-2026-12.alice-moreau.0.confirmation@northwind.example>"
    )
    assert compose(key("email", 1), message, SETTINGS)["Message-ID"] != first["Message-ID"]
    assert first["Reply-To"] == "priya.raman@northwind.example"
    assert first["From"].addresses[0].addr_spec == "jobs@northwind.example"
    layout = [part.get_content_type() for part in first.walk()]
    assert layout == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "text/calendar",
    ]
    inline, attached = [p for p in first.walk() if p.get_content_type() == "text/calendar"]
    assert inline.get_param("method") == attached.get_param("method") == "REQUEST"
    assert attached.get_filename() == "invite.ics" and not inline.get_filename()
    assert Calendar.from_ical(attached.get_content())["method"] == "REQUEST"


def instants(ics: str) -> tuple[datetime, datetime]:
    """Start and end as the invite's own VTIMEZONE defines them (not our zoneinfo)."""
    cal = Calendar.from_ical(ics)
    vtimezone: Any = cal.walk("VTIMEZONE")[0]
    zone = vtimezone.to_tz()
    event: Any = cal.walk("VEVENT")[0]  # icalendar's property types are a wide union
    start, end = event["dtstart"].dt, event["dtend"].dt
    return start.replace(tzinfo=zone).astimezone(timezone.utc), end.replace(tzinfo=zone).astimezone(timezone.utc)


def test_request_and_cancel_share_the_uid_and_the_cancel_outranks_the_request() -> None:
    made = {
        method: Calendar.from_ical(
            interview_invite(ROUND, ALICE, SLOT, method=method, stamp=SLOT.start, domain="northwind.example")
        )
        for method in ("REQUEST", "CANCEL")
    }
    request, cancel = (made[m].walk("VEVENT")[0] for m in ("REQUEST", "CANCEL"))
    sequences: list[Any] = [request["sequence"], cancel["sequence"]]
    assert made["CANCEL"]["method"] == "CANCEL" and cancel["status"] == "CANCELLED"
    assert request["uid"] == cancel["uid"] == "backend-2026-12.alice-moreau.interview@northwind.example"
    assert int(sequences[1]) > int(sequences[0])
    assert str(request["organizer"]) == "mailto:priya.raman@northwind.example"
    assert str(request["attendee"]) == f"mailto:{ALICE.email}"
    assert "Written exam" in str(request["description"])
    assert ROUND.plan.location is not None and ROUND.plan.location.address in str(request["location"])


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.*")))
def test_every_template_reads_only_names_its_context_has(template: str) -> None:
    """The typed context is the templates' contract: a name it lacks fails here, not at send time."""
    source = (TEMPLATES / template).read_text()
    used = meta.find_undeclared_variables(ENVIRONMENT.parse(source))
    names = {f.name for f in fields(AlertContext if "recruiter_alert" in template else MessageContext)}
    assert used <= names | {"subject"}, used - names


def test_the_panel_is_briefed_on_her_questions_and_what_to_know() -> None:
    told = dataclasses.replace(
        context(ROUND, ALICE, SLOT), her_questions="Is there parking? <Yes>", for_panel="Step-free access, please"
    )
    briefing = staff_email("staff_briefing", told, ROUND.staff[0])
    assert "She asked on the call: Is there parking? <Yes>" in briefing.text
    assert "Good to know: Step-free access, please" in briefing.text
    assert "Is there parking? &lt;Yes&gt;" in briefing.html
    assert "She asked" not in staff_email("staff_briefing", context(ROUND, ALICE, SLOT), ROUND.staff[0]).text


def test_the_recruiters_call_guide_names_her_first_interview_and_the_slot_on_both_clocks() -> None:
    alice = example(notes="Strong on SQL, asked about on-call.").candidates[0]
    ctx = context(ROUND, alice, SLOT, attempt=1)
    recruiter = ROUND.organisation.recruiter
    guide = render_email("recruiter_guide", ctx, to=recruiter.email, to_name=recruiter.name)
    for part in (guide.text, guide.html):
        assert "Strong on SQL, asked about on-call." in part and ctx.when in part
        assert "/recruiter/calls/" in part and "about to ring" in part
    assert guide.subject == "Calling Alice Moreau now: your call guide"
    whisper = render("whisper", ctx)
    assert whisper == "Second-interview call to Alice Moreau, Backend engineers, December 2026. Press 1 to connect."
