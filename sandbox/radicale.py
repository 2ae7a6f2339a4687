"""The sandbox calendar server: Radicale (a real CalDAV server) on loopback, with a login.

Staff and room calendars are created on first use (``SECONDROUND_CALDAV_CREATE_MISSING``);
``python -m radicale --config <home>/radicale/config`` is what ``sandbox.peers`` starts.
"""

from __future__ import annotations

from pathlib import Path

SANDBOX_CALDAV_USER = "secondround"
SANDBOX_CALDAV_PASSWORD = "sandbox-caldav-password"


def write_config(home: Path, port: int) -> Path:
    folder = home / "radicale"
    folder.mkdir(parents=True, exist_ok=True)
    users = folder / "users"
    users.write_text(f"{SANDBOX_CALDAV_USER}:{SANDBOX_CALDAV_PASSWORD}\n")
    config = folder / "config"
    config.write_text(
        "\n".join(
            [
                "[server]",
                f"hosts = 127.0.0.1:{port}",
                "[auth]",
                "type = htpasswd",
                f"htpasswd_filename = {users}",
                "htpasswd_encryption = plain",
                "[rights]",
                "type = owner_only",
                "[storage]",
                f"filesystem_folder = {folder / 'collections'}",
                "[logging]",
                "level = warning",
                "",
            ]
        )
    )
    return config


def base_url(port: int) -> str:
    """The sandbox user's collection: calendars are ``<base>staff-<id>/`` and ``<base>room-<id>/``."""
    return f"http://127.0.0.1:{port}/{SANDBOX_CALDAV_USER}/"
