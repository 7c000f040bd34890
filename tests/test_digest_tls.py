"""SMTP over implicit TLS and STARTTLS with AUTH, credentials from the environment (loopback,
a throwaway self-signed certificate trusted through SSL_CERT_FILE)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from datetime import date
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from monitor.check import run_check
from monitor.digest import build_digests, deliver_digests
from tests.monitor_factory import add_unbalanced_report, make_db, make_settings
from tests.test_digest_delivery import Recorder, free_port

crypto = pytest.importorskip("cryptography")


def self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Auth:
    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"nianbao" and auth_data.password == b"s3cret"
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_login(tmp_path, monkeypatch, security):
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv(
        "SSL_CERT_FILE", str(cert)
    )  # the client's default context trusts our certificate
    monkeypatch.setenv("NB_TEST_USER", "nianbao")
    monkeypatch.setenv("NB_TEST_PASS", "s3cret")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    handler, auth, port = Recorder(), Auth(), free_port()
    kwargs = {
        "authenticator": auth,
        "auth_require_tls": True,
        "hostname": "127.0.0.1",
        "port": port,
    }
    if security == "starttls":
        controller = Controller(
            handler, tls_context=server_ctx, require_starttls=True, **kwargs
        )
    else:
        # aiosmtpd does not count implicit TLS as TLS for AUTH: the wire is encrypted all the same.
        kwargs["auth_require_tls"] = False
        controller = Controller(
            handler, ssl_context=server_ctx, server_hostname="127.0.0.1", **kwargs
        )
    controller.start()
    try:
        db = make_db(tmp_path)
        smtp = {
            "host": "127.0.0.1",
            "port": port,
            "security": security,
            "sender": "nianbao@example.org",
            "username_env": "NB_TEST_USER",
            "password_env": "NB_TEST_PASS",
            "timeout": 5,
            "retries": 0,
        }
        settings = make_settings(
            tmp_path,
            monitor={"first_year": 2024},
            smtp=smtp,
            recipients=[{"email": "o@example.org"}],
        )
        add_unbalanced_report(db)
        run_check(db, settings, date(2025, 6, 30))
        result = deliver_digests(
            db, settings, build_digests(db, settings, date(2025, 6, 30)), backoff=0
        )
    finally:
        controller.stop()
    assert result["sent"] == 1, result
    assert auth.logins == ["nianbao"]
    [(_, _, raw)] = handler.messages
    assert (
        "勾稽关系不符"
        in message_from_bytes(raw, policy=default).get_body(("plain",)).get_content()
    )
