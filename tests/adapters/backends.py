"""Each calendar backend's server as a person or an admin reaches it, beside our client: seeding
a recurring meeting and an all-day event, editing our hold by hand, throttling, refusing a login,
counting busy-time requests. ``test_calendars.py`` runs one suite over all three."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import jwt
from pydantic import SecretStr

from config.settings import Settings
from sandbox.gcal_api import write_service_account
from sandbox.radicale import SANDBOX_CALDAV_PASSWORD, SANDBOX_CALDAV_USER
from tasks.clients.google import event_id

BERLIN = ZoneInfo("Europe/Berlin")
MEETING = {"start": "2027-03-22T10:00:00", "end": "2027-03-22T11:00:00"}  # a Monday, Berlin's clock
ALL_DAY = "2027-03-24"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "DTSTAMP:20270101T000000Z\r\n{when}{extra}SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
TIMED = "DTSTART;TZID=Europe/Berlin:20270322T100000\r\nDTEND;TZID=Europe/Berlin:20270322T110000\r\n"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=BERLIN).astimezone(timezone.utc)


@dataclass
class CalDavPeer:
    settings: Settings
    name = "caldav"

    def _http(self) -> httpx.Client:
        return httpx.Client(auth=(SANDBOX_CALDAV_USER, SANDBOX_CALDAV_PASSWORD))

    def calendar(self, tag: str) -> str:
        return f"{self.settings.caldav_url}{tag}/"

    def seed_week(self, calendar: str) -> None:
        with self._http() as http:
            http.request("MKCALENDAR", calendar)
            events = {
                "weekly": (TIMED, "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n"),
                "free": (TIMED.replace("20270322", "20270323"), "TRANSP:TRANSPARENT\r\n"),
                "day": ("DTSTART;VALUE=DATE:20270324\r\nDTEND;VALUE=DATE:20270325\r\n", ""),
            }
            for uid, (when, extra) in events.items():
                ics = ICS.format(uid=uid, when=when, extra=extra, summary=uid)
                assert http.put(f"{calendar}{uid}.ics", content=ics).status_code == 201

    def touch(self, calendar: str, uid: str) -> None:
        with self._http() as http:
            href = f"{calendar}{uid.replace('@', '-at-')}.ics"
            held = http.get(href)
            edited = held.text.replace("SUMMARY:", "LOCATION:moved by hand\r\nSUMMARY:")
            assert http.put(href, content=edited, headers={"If-Match": held.headers["etag"]}).status_code == 204

    def throttle(self, requests: int) -> None:
        origin = self.settings.caldav_url.split(f"/{SANDBOX_CALDAV_USER}/")[0]
        httpx.post(f"{origin}/.sandbox/throttle", json={"requests": requests, "retry_after": 1})

    def refused(self, _: Path) -> tuple[Settings, str]:
        return self.settings.model_copy(update={"caldav_password": SecretStr("nope")}), "401, check the CalDAV login"

    def busy_requests(self) -> int:
        """CalDAV reads one collection a request (a REPORT): nothing to batch."""
        origin = self.settings.caldav_url.split(f"/{SANDBOX_CALDAV_USER}/")[0]
        served: list[dict[str, str]] = httpx.get(f"{origin}/.sandbox/requests").json()
        return sum(r["method"] == "REPORT" for r in served)


@dataclass
class GooglePeer:
    settings: Settings
    name = "google"

    def _http(self) -> httpx.Client:
        """Straight to the stand-in's API (a person editing a calendar), with a token of our own."""
        key = json.loads(Path(str(self.settings.google_service_account_file)).read_text())
        now = int(time.time())
        claims = {"iss": key["client_email"], "aud": key["token_uri"], "iat": now, "exp": now + 600, "sub": "a@x"}
        grant = {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": jwt.encode(claims, key["private_key"], algorithm="RS256"),
        }
        ca = str(self.settings.google_ca_file)
        token = httpx.post(key["token_uri"], data=grant, verify=ca).json()["access_token"]
        return httpx.Client(
            base_url=self.settings.google_api_url, verify=ca, headers={"Authorization": f"Bearer {token}"}
        )

    def calendar(self, tag: str) -> str:
        return f"{tag}@northwind.example"

    def seed_week(self, calendar: str) -> None:
        timed = {key: {"dateTime": value, "timeZone": "Europe/Berlin"} for key, value in MEETING.items()}
        events: list[dict[str, Any]] = [
            {"summary": "weekly", "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"], **timed},
            {"summary": "free", "transparency": "transparent", **_day_later(timed)},
            {"summary": "day", "start": {"date": ALL_DAY}, "end": {"date": "2027-03-25"}},
        ]
        with self._http() as http:
            for event in events:
                assert http.post(f"calendar/v3/calendars/{calendar}/events", json=event).status_code == 200

    def touch(self, calendar: str, uid: str) -> None:
        with self._http() as http:
            path = f"calendar/v3/calendars/{calendar}/events/{event_id(uid)}"
            assert http.patch(path, json={"location": "moved by hand"}).status_code == 200

    def throttle(self, requests: int) -> None:
        with self._http() as http:
            http.post("sandbox/throttle", json={"requests": requests})

    def refused(self, home: Path) -> tuple[Settings, str]:
        token_uri = json.loads(Path(str(self.settings.google_service_account_file)).read_text())["token_uri"]
        stranger = write_service_account(home, token_uri)  # a key the stand-in never issued
        return self.settings.model_copy(update={"google_service_account_file": stranger}), "Google refused our login"

    def busy_requests(self) -> int:
        with self._http() as http:
            answered: list[dict[str, str]] = http.get("sandbox/requests").json()
            return sum(r["path"] == "/calendar/v3/freeBusy" for r in answered)


@dataclass
class GraphPeer:
    settings: Settings
    name = "microsoft"

    def _http(self) -> httpx.Client:
        """Straight to the stand-in, as another Graph client (a person editing the calendar)."""
        settings, ca = self.settings, str(self.settings.graph_ca_file)
        form = {"client_id": settings.graph_client_id, "client_secret": settings.graph_client_secret.get_secret_value()}
        token_url = f"{settings.graph_authority_url}/t/oauth2/v2.0/token"
        token = httpx.post(token_url, data=form, verify=ca).json()["access_token"]
        return httpx.Client(base_url=settings.graph_api_url, verify=ca, headers={"Authorization": f"Bearer {token}"})

    def calendar(self, tag: str) -> str:
        return f"{tag}@northwind.example"

    def seed_week(self, calendar: str) -> None:
        timed = {key: {"dateTime": value, "timeZone": "Europe/Berlin"} for key, value in MEETING.items()}
        weekly = {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]}, "range": {"type": "noEnd"}}
        day = {key: {"dateTime": f"{value}T00:00:00", "timeZone": "Europe/Berlin"} for key, value in _day_span()}
        events: list[dict[str, Any]] = [
            {"subject": "weekly", "recurrence": weekly, **timed},
            {"subject": "free", "showAs": "free", **_day_later(timed)},
            {"subject": "day", "isAllDay": True, **day},
        ]
        with self._http() as http:
            for event in events:
                assert http.post(f"/users/{calendar}/calendar/events", json=event).status_code == 201

    def touch(self, calendar: str, uid: str) -> None:
        with self._http() as http:
            events = http.get(f"/users/{calendar}/calendar/events").json()["value"]
            [held] = [e for e in events if e.get("transactionId") == uid]
            assert http.patch(
                f"/users/{calendar}/events/{held['id']}", json={"location": {"displayName": "x"}}
            ).is_success

    def throttle(self, requests: int) -> None:
        with self._http() as http:
            http.post(
                f"{self.settings.graph_authority_url}/sandbox/throttle", json={"requests": requests, "retry_after": 1}
            )

    def refused(self, _: Path) -> tuple[Settings, str]:
        return self.settings.model_copy(update={"graph_client_secret": SecretStr("nope")}), "refused the app's login"

    def busy_requests(self) -> int:
        with self._http() as http:
            answered: list[dict[str, str]] = http.get(f"{self.settings.graph_authority_url}/sandbox/requests").json()
            return sum(r["path"].endswith("/calendar/getSchedule") for r in answered)


CalendarPeer = CalDavPeer | GooglePeer | GraphPeer
PEERS: dict[str, type[CalendarPeer]] = {"caldav": CalDavPeer, "google": GooglePeer, "microsoft": GraphPeer}


def _day_later(timed: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {key: {**value, "dateTime": value["dateTime"].replace("-22T", "-23T")} for key, value in timed.items()}


def _day_span() -> list[tuple[str, str]]:
    after = (datetime.fromisoformat(ALL_DAY) + timedelta(days=1)).date().isoformat()
    return [("start", ALL_DAY), ("end", after)]
