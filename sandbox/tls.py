"""A local certificate authority for the sandbox's TLS peers (the SMTP sink).

Real certificate checks stay on: the client trusts ``ca.pem`` (``SECONDROUND_SMTP_CA_FILE``),
and the sink presents a certificate for 127.0.0.1 and localhost signed by it.
"""

from __future__ import annotations

from pathlib import Path

import trustme


def write_test_ca(directory: Path) -> Path:
    """Create ``ca.pem``, ``server.pem`` and ``server.key`` once; returns the CA file."""
    ca_file = directory / "ca.pem"
    if ca_file.exists():
        return ca_file
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="secondround sandbox")
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.private_key_pem.write_to_path(str(directory / "server.key"))
    with (directory / "server.pem").open("wb") as chain:
        for blob in server.cert_chain_pems:
            chain.write(blob.bytes())
    ca.cert_pem.write_to_path(str(ca_file))  # written last: its presence means the set is complete
    return ca_file


def write_app_certificate(directory: Path) -> Path:
    """An app registration's certificate and its private key in one PEM, as an admin uploads the
    one and keeps the other (the Graph stand-in trusts this certificate, as Entra ID would)."""
    path = directory / "graph-app.pem"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="secondround sandbox app", key_type=trustme.KeyType.RSA)
    issued = ca.issue_cert("secondround-sandbox-app", key_type=trustme.KeyType.RSA)  # Entra ID takes RSA keys
    path.write_bytes(issued.cert_chain_pems[0].bytes() + issued.private_key_pem.bytes())
    return path
