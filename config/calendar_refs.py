"""Calendar references in the round file: each names its backend.

A staff member's, a room's or the recruiter's ``calendar`` is one of:

- a CalDAV collection URL (``https://dav.example.org/calendars/amara/``), or empty for the
  collection under ``SECONDROUND_CALDAV_URL``;
- ``google:<calendar id>``: a Google Calendar (a user's address, or a resource calendar's
  ``...@resource.calendar.google.com``);
- ``microsoft:<mailbox>``: a Microsoft 365 user or room mailbox.

A round may mix them; ``tasks/calendars.py`` picks the client per calendar.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator

_MAILBOX = re.compile(r"^[^@\s:/]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class Backend(StrEnum):
    caldav = "caldav"
    google = "google"
    microsoft = "microsoft"


def split_ref(ref: str) -> tuple[Backend, str]:
    """The backend a reference names, and the address the backend knows the calendar by."""
    scheme, colon, rest = ref.partition(":")
    if colon and scheme in (Backend.google, Backend.microsoft):
        return Backend(scheme), rest
    return Backend.caldav, ref


def _check_ref(value: str) -> str:
    backend, address = split_ref(value.strip())
    if backend is Backend.caldav and address and not address.startswith(("https://", "http://")):
        raise ValueError(
            f"{value!r} is not a calendar: write a CalDAV URL (https://...), google:<calendar id> or "
            "microsoft:<mailbox>, or leave it out for the collection under SECONDROUND_CALDAV_URL"
        )
    if backend is not Backend.caldav and not _MAILBOX.match(address):
        raise ValueError(
            f"{value!r}: after {backend.value}: write the calendar's address, e.g. {backend.value}:room@example.org"
        )
    return value.strip()


CalendarRef = Annotated[str, AfterValidator(_check_ref)]
