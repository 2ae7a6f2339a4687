"""A local S3-compatible bucket for the scale-out configuration's shared results: moto's server
(a registry package, run on loopback; it accepts any credentials, so the sandbox's are made up)."""

from __future__ import annotations

import re

import httpx

BUCKET = "secondround-results"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_DEFAULT_REGION": "us-east-1"}


def server_args(port: int) -> list[str]:
    return ["-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def make_bucket(url: str) -> str:
    """Create the bucket; its ``s3://`` address (results go under ``prefect/``)."""
    httpx.put(f"{url}/{BUCKET}", timeout=10).raise_for_status()
    return f"s3://{BUCKET}/prefect"


def keys(url: str) -> list[str]:
    """Every object's key in the bucket (one page of up to 1000)."""
    listing = httpx.get(f"{url}/{BUCKET}", params={"list-type": "2"}, timeout=10)
    listing.raise_for_status()
    return re.findall(r"<Key>([^<]+)</Key>", listing.text)


def read(url: str, key: str) -> bytes:
    """One object's bytes, through the results block's own filesystem (moto refuses anonymous reads)."""
    from prefect.filesystems import RemoteFileSystem  # imported here: Prefect is slow to import

    secret = {"key": CREDENTIALS["AWS_ACCESS_KEY_ID"], "secret": CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}
    store = RemoteFileSystem(basepath=f"s3://{BUCKET}", settings={**secret, "client_kwargs": {"endpoint_url": url}})
    data = store.read_path(key)  # the sync twin of aread_path, outside an event loop
    assert isinstance(data, bytes)
    return data
