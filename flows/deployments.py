"""Names of the deployments declared in ``prefect.yaml``, and the tags that find a candidate's run."""

from __future__ import annotations

CALLBACK = "candidate-callback/candidate-callback"
DEADLINE = "reply-deadline/reply-deadline"
WORK_POOL = "secondround"


def round_tag(round_id: str) -> str:
    return f"round:{round_id}"


def candidate_tag(round_id: str, candidate_id: str) -> str:
    return f"candidate:{round_id}.{candidate_id}"
