"""Shared results: Prefect's persisted results (what stops a replay from calling or emailing her
again) in one S3-compatible bucket that every machine reads and writes.

``secondround results install s3://BUCKET/PREFIX [--endpoint-url URL]`` saves a
``remote-file-system`` block (Prefect's own, through fsspec's ``s3fs``) and makes it the default
result storage of every run of the ``secondround`` work pool, by setting
``PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK`` in the pool's job template: a worker started on any
machine runs its flows with it, and no deployment needs to say so. Credentials stay on the
machines (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` or their ``~/.aws``), never in the block.
Without it results stay on each machine's disk (``PREFECT_HOME/storage``): right for one machine.
"""

from __future__ import annotations

from prefect import get_client
from prefect.client.schemas.actions import WorkPoolUpdate
from prefect.filesystems import RemoteFileSystem

BLOCK = "secondround-results"
SLUG = f"remote-file-system/{BLOCK}"
POOL = "secondround"
SETTING = "PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK"


class BucketError(RuntimeError):
    """The bucket could not be written through the block: nothing was changed in the pool."""


async def install_results(url: str, *, endpoint_url: str | None = None, pool: str = POOL) -> str:
    """Save the block, prove it can write and read, then point the pool's runs at it."""
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise BucketError(f"{url!r} is not a bucket: give s3://BUCKET/PREFIX")
    settings = {"client_kwargs": {"endpoint_url": endpoint_url}} if endpoint_url else {}
    block = RemoteFileSystem(basepath=url.rstrip("/"), settings=settings)
    try:  # a wrong name, endpoint or credential is said now, not by the first run that persists
        await block.awrite_path(".secondround-probe", b"ok")
        assert await block.aread_path(".secondround-probe") == b"ok"
    except Exception as error:
        raise BucketError(f"cannot write to {url} ({endpoint_url or 'AWS'}): {error}") from error
    await block.asave(BLOCK, overwrite=True)
    async with get_client() as client:
        template = (await client.read_work_pool(pool)).base_job_template
        env = template["variables"]["properties"]["env"]
        env["default"] = {**(env.get("default") or {}), SETTING: SLUG}
        await client.update_work_pool(pool, WorkPoolUpdate(base_job_template=template))
    return f"results of every run of pool {pool!r} go to {url} (block {SLUG})"
