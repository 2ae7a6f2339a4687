"""The panel's report on the day of her interview: did she come, did she follow the instructions.

``DayReport`` is both the one-minute form a panel member fills in from the link we email after
the interview's planned end (``web/reporting.py``) and the waiting run's resume form in the
Prefect UI (``Wait.report``): the same fields. Its deadline resumes the run with
``Attendance.no_report``.
"""

from __future__ import annotations

from enum import StrEnum

from prefect.input import RunInput
from pydantic import Field

from tasks.effects import Done


class Attendance(StrEnum):
    on_time = "on_time"
    late = "late"
    no_show = "no_show"
    no_report = "no_report"  # the deadline's: nobody reported in time


class DayReport(RunInput):
    """How her interview went, as a panel member saw it."""

    came: Attendance = Field(description="Did she come: on_time, late or no_show (no_report: nobody reported)")
    dressed_as_asked: bool | None = Field(default=None, description="Did she follow the dress instructions")
    brought_as_asked: bool | None = Field(default=None, description="Did she bring what she was asked to bring")
    enthusiasm: int | None = Field(default=None, ge=1, le=5, description="Her enthusiasm on the day, 1 to 5")
    professionalism: int | None = Field(default=None, ge=1, le=5, description="Her professionalism on the day, 1 to 5")
    notes: str = Field(default="", max_length=2000, description="Anything the panel wants on record")
    by: str = Field(default="", max_length=200, description="Who reports: a panel member's name")

    @property
    def came_at_all(self) -> bool:
        return self.came in (Attendance.on_time, Attendance.late)

    @property
    def followed(self) -> bool | None:
        """Whether she followed the dress and bring instructions (None: not said, or she did not come)."""
        said = [v for v in (self.dressed_as_asked, self.brought_as_asked) if v is not None]
        return all(said) if said and self.came_at_all else None

    def summary(self) -> str:
        """One line for her timeline and the round's table: ``came late; dress followed, bring not; 4/5, 5/5``."""
        if self.came is Attendance.no_report:
            return "no report"
        parts = [{"on_time": "came on time", "late": "came late", "no_show": "did not come"}[self.came.value]]
        if self.came_at_all:
            asked = (("dress", self.dressed_as_asked), ("bring", self.brought_as_asked))
            said = [f"{what} {'followed' if ok else 'not followed'}" for what, ok in asked if ok is not None]
            parts += [", ".join(said)] if said else []
            scores = (("enthusiasm", self.enthusiasm), ("professionalism", self.professionalism))
            parts += [f"{name} {value}/5" for name, value in scores if value is not None]
        return "; ".join(parts)


class RecordedReport(Done):
    """The report her run recorded, once (``record-report``)."""

    report: DayReport
