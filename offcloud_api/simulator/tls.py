"""A throwaway certificate authority and server certificate for the CONNECT proxy.

pyLoad reaches the simulator as its HTTP proxy and keeps using ``https://offcloud.com/...``
(docs/pyload.md §4.3), so the simulator must speak TLS for those names. It makes a CA and a
leaf certificate for ``offcloud.com``, ``*.offcloud.com``, ``*.energycdn.com`` (the live
profile's file CDN), ``localhost``, ``127.0.0.1`` and the scenario's hoster hosts, once per
process and set of names, in a temporary folder removed at exit. Clients that want to verify
trust ``ca.pem``; pyLoad runs with ``ssl_verify`` off.

It uses the ``cryptography`` package if installed, else the ``openssl`` command.
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

__all__ = ["BASE_NAMES", "CertificateError", "CertificateFiles", "certificate_for"]

log = logging.getLogger(__name__)

#: Names every simulator certificate covers.
BASE_NAMES = ("offcloud.com", "*.offcloud.com", "*.energycdn.com", "localhost")
CA_NAME = "Offcloud Simulator Test CA"


class CertificateError(RuntimeError):
    """Neither ``cryptography`` nor a working ``openssl`` could make the certificate."""


@dataclass(frozen=True)
class CertificateFiles:
    """PEM files: the CA to trust, the server chain (leaf then CA) and the leaf's key."""

    ca_path: Path
    chain_path: Path
    key_path: Path


_cache: dict[tuple[str, ...], CertificateFiles] = {}
_cache_lock = threading.Lock()


def certificate_for(extra_hosts: Iterable[str] = ()) -> CertificateFiles:
    """Certificate files covering :data:`BASE_NAMES` and ``extra_hosts`` (cached per process)."""
    names = tuple(sorted({*BASE_NAMES, *(h.lower() for h in extra_hosts)}))
    with _cache_lock:
        cached = _cache.get(names)
        if cached is not None:
            return cached
        directory = Path(tempfile.mkdtemp(prefix="offcloud-simulator-tls-"))
        atexit.register(shutil.rmtree, directory, True)
        files = CertificateFiles(
            directory / "ca.pem", directory / "chain.pem", directory / "key.pem"
        )
        try:
            _with_cryptography(names, files)
        except ImportError:
            log.debug("cryptography is not installed; making the certificate with openssl")
            _with_openssl(names, files)
        _cache[names] = files
        return files


def _with_cryptography(names: tuple[str, ...], files: CertificateFiles) -> None:
    # Optional dependency: imported here so the simulator runs without it.
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415

    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alt_names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "offcloud.com")]))
        .issuer_name(ca_subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=397))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    files.ca_path.write_bytes(ca_pem)
    files.chain_path.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM) + ca_pem)
    files.key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.key_path.chmod(0o600)


def _with_openssl(names: tuple[str, ...], files: CertificateFiles) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError(
            "the simulator's HTTPS proxy needs a certificate: install the 'cryptography' package "
            "(pip install cryptography) or the openssl command"
        )
    work = files.ca_path.parent
    ca_key, csr, leaf = work / "ca.key", work / "leaf.csr", work / "leaf.pem"
    extensions = work / "leaf.ext"
    alt = ",".join([*(f"DNS:{name}" for name in names), "IP:127.0.0.1"])
    extensions.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName={alt}\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n",
        encoding="ascii",
    )
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca_extensions = [
        "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
    ]  # fmt: skip
    commands = [
        [openssl, "req", "-x509", "-new", *new_key, "-keyout", str(ca_key),
         "-out", str(files.ca_path), "-days", "3650", "-subj", f"/CN={CA_NAME}", *ca_extensions],
        [openssl, "req", "-new", *new_key, "-keyout", str(files.key_path), "-out", str(csr),
         "-subj", "/CN=offcloud.com"],
        [openssl, "x509", "-req", "-in", str(csr), "-CA", str(files.ca_path),
         "-CAkey", str(ca_key), "-set_serial", str(secrets.randbits(63)), "-days", "397",
         "-sha256", "-extfile", str(extensions), "-out", str(leaf)],
    ]  # fmt: skip
    for command in commands:
        # Fixed arguments built here; nothing comes from a request or a scenario but host names.
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise CertificateError(f"openssl failed: {result.stderr.strip()[-300:]}")
    files.chain_path.write_text(leaf.read_text("ascii") + files.ca_path.read_text("ascii"), "ascii")
