"""Reading a hiring-round file and listing every problem in it, each with its path.

``load_round`` is the only way a round file enters the system, so a bad file is refused before
anything is sent or booked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.checks import plan_problems
from config.errors import RoundFileError
from config.round import HiringRound


def load_round(path: str | Path) -> HiringRound:
    """Parse and validate a round file, raising ``RoundFileError`` with every problem found."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RoundFileError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
    return parse_round(text, source=source)


def parse_round(text: str, *, source: str = "<round>") -> HiringRound:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RoundFileError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise RoundFileError(source, ["the file must be a mapping with id, plan, staff, rooms, candidates"])
    problems = list(_reference_problems(data))
    parsed: HiringRound | None = None
    try:
        parsed = HiringRound.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(err) for err in exc.errors()] + problems
    if parsed is not None:
        problems += plan_problems(parsed)
    if problems or parsed is None:
        raise RoundFileError(source, problems)
    return parsed


def _describe(err: Any) -> str:
    path = _path(err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "is required"
    elif err["type"] == "extra_forbidden":
        message = "is not a known field"
    elif err["type"] == "too_short" and "List" in message:
        message = "must not be empty"
    return f"{path}: {message}" if path else message


def _path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-after") or str(part) in {"str"}:
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _items(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    return [v if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []


def _reference_problems(data: dict[str, Any]) -> Iterable[str]:
    """Checks that span fields: run on the raw data so they are listed with field errors."""
    for key in ("staff", "rooms", "candidates"):
        ids = Counter(str(item.get("id")) for item in _items(data, key) if "id" in item)
        for index, item in enumerate(_items(data, key)):
            if "id" in item and ids[str(item["id"])] > 1:
                yield f"{key}[{index}].id: duplicate id {item['id']!r}"
    for key in ("phone", "email"):
        seen = Counter(str(c.get(key)) for c in _items(data, "candidates") if key in c)
        for index, item in enumerate(_items(data, "candidates")):
            if key in item and seen[str(item[key])] > 1:
                yield f"candidates[{index}].{key}: shared with another candidate"
    staff_ids = {str(s.get("id")) for s in _items(data, "staff")}
    plan = data.get("plan") if isinstance(data.get("plan"), dict) else {}
    panel = plan.get("panel") if isinstance(plan, dict) else None
    for index, ref in enumerate(panel if isinstance(panel, list) else []):
        if str(ref) not in staff_ids:
            yield f"plan.panel[{index}]: unknown staff member {ref!r}"
    need = plan.get("room_capacity", 1) if isinstance(plan, dict) else 1
    rooms = _items(data, "rooms")
    capacities = [int(r["capacity"]) for r in rooms if isinstance(r.get("capacity"), int)]
    if rooms and isinstance(need, int) and capacities and max(capacities) < need:
        yield f"plan.room_capacity: no room holds {need} people"
    ranks = Counter(c.get("waitlist_rank") for c in _items(data, "candidates") if c.get("waitlist_rank"))
    for index, item in enumerate(_items(data, "candidates")):
        rank = item.get("waitlist_rank")
        if rank and ranks[rank] > 1:
            yield f"candidates[{index}].waitlist_rank: rank {rank} is used twice"
