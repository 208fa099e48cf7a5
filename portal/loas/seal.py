"""The portal's seal: the key and certificate that sign (PAdES) each certificate of completion.

A maintained library (pyHanko) signs and verifies; this module only loads the key, and in
development makes one. The key never leaves this module: no page renders it.
"""

from __future__ import annotations

import datetime
import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Seal:
    signer: object  # pyhanko.sign.signers.SimpleSigner
    certificate: object  # asn1crypto.x509.Certificate: the trust root verification checks against
    subject: str


def seal_key_make(path: str | os.PathLike, *, name: str = "DIR Portal (development seal)") -> Path:
    """Write a new ECDSA P-256 key and a self-signed certificate for it (ten years) to `path`, mode 0600."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # non-repudiation: what a seal on a record is for
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(usage, critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + certificate.public_bytes(serialization.Encoding.PEM)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: two processes making it at once each leave a whole file.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".seal-")
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path


@functools.cache
def seal() -> Seal:
    """The configured seal (LOA_SEAL_FILE), made first if missing where that is allowed."""
    from asn1crypto import keys, pem, x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    path = Path(settings.LOA_SEAL_FILE)
    if not path.exists():
        if not settings.LOA_SEAL_GENERATE:
            raise ImproperlyConfigured(
                f"LOA_SEAL_FILE ({path}) does not exist: make one with manage.py loa_seal_key."
            )
        seal_key_make(path)
    data = path.read_bytes()
    password = settings.LOA_SEAL_PASSWORD.encode() or None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"LOA_SEAL_FILE ({path}) holds no private key it can open: {exc}") from exc
    certificates = [
        x509.Certificate.load(der)
        for kind, _headers, der in pem.unarmor(data, multiple=True)
        if kind == "CERTIFICATE"
    ]
    if not certificates:
        raise ImproperlyConfigured(f"LOA_SEAL_FILE ({path}) holds no certificate after its key.")
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=certificates[0],
        signing_key=keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs(certificates),
    )
    return Seal(signer=signer, certificate=certificates[-1], subject=certificates[0].subject.human_friendly)
