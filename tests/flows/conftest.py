"""One local stack per test session: Prefect server on SQLite, our deployments, a process worker.

24 h of waiting stands for 8 s here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.harness import Harness
from sandbox.stack import LocalStack

REPLY_WINDOW_SECONDS = 8


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    home = tmp_path_factory.mktemp("stack")
    behaviours = home / "behaviours.yaml"
    behaviours.write_text("{}\n")
    local = LocalStack(home, time_scale=86400 / REPLY_WINDOW_SECONDS, behaviours=behaviours)
    with local, local.client_settings():
        yield local


@pytest.fixture(scope="session")
def harness(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return Harness(stack, tmp_path_factory.mktemp("rounds"))
