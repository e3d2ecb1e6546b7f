"""moto's server with SES as strict as AWS about identities (run as ``python -m haishin_local.moto_ses``).

AWS sends only from a verified identity: an address whose owner clicked the link, or a domain whose DKIM CNAMEs
are in DNS. moto treats any identity it was told about as verified, and gives a domain no DKIM tokens. Here:
- an identity created by ``CreateEmailIdentity`` (v2) or ``VerifyEmailIdentity``/``VerifyDomainIdentity`` (v1)
  starts PENDING (``VerifiedForSendingStatus`` false), and a domain gets three DKIM tokens, as on AWS;
- ``SendEmail``/``SendRawEmail`` refuse (``MessageRejected``) a From whose address or domain is not verified;
- ``POST /moto-api/haishin/ses/verify`` ``{"identity": "shop.example.jp"}`` marks it verified, which on AWS the
  DNS records or the mailbox click do (the local system exposes it as ``POST /_dev/ses/verify`` for the demo).
"""

from __future__ import annotations

import hashlib
import json
import sys
from email.utils import parseaddr
from typing import Any

from moto.moto_api._internal import urls
from moto.server import main as moto_main
from moto.ses import models

VERIFY_PATH = "{0}/moto-api/haishin/ses/verify"


def _tokens(name: str) -> list[str]:
    return [hashlib.sha256(f"{name}#{i}".encode()).hexdigest()[:32] for i in range(3)]


def _find(backend: Any, name: str) -> Any:
    wanted = name.strip().lower()
    return next((i for key, i in backend.email_identities.items() if key.lower() == wanted), None)


def _verified(identity: Any) -> bool:
    return identity is not None and bool(identity.verified_for_sending_status)


def _identity_of(request: Any) -> str | None:
    raw = request.get_data() if hasattr(request, "get_data") else getattr(request, "data", b"")
    try:
        found = json.loads(raw or b"{}").get("identity")
    except (ValueError, AttributeError):
        found = None
    if not found and hasattr(request, "args"):
        found = request.args.get("identity")
    return str(found).strip() if found else None


def patch() -> None:
    original_init = models.EmailIdentity.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.verified_for_sending_status = False
        self.verification_status = "PENDING"
        if self.identity_type == "DOMAIN":
            self.dkim_attributes.update({"SigningEnabled": True, "Status": "PENDING",
                                         "Tokens": _tokens(self.email_identity.lower())})

    def is_verified_address(self: Any, source: str) -> bool:
        _, address = parseaddr(source)
        if _verified(_find(self, address)):
            return True
        return "@" in address and _verified(_find(self, address.rsplit("@", 1)[1]))

    models.EmailIdentity.__init__ = init  # type: ignore[method-assign]
    models.SESBackend._is_verified_address = is_verified_address  # type: ignore[method-assign]

    def verify(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        if request.method != "POST":
            return 405, {}, json.dumps({"message": "POST {\"identity\": name}"})
        name = _identity_of(request)
        if not name:
            return 400, {}, json.dumps({"message": "send {\"identity\": \"shop.example.jp\"} as JSON"})
        verified = 0
        for regions in models.ses_backends.values():
            for backend in regions.values():
                identity = _find(backend, name)
                if identity is None:
                    continue
                identity.verified_for_sending_status = True
                identity.verification_status = "SUCCESS"
                if identity.identity_type == "DOMAIN":
                    identity.dkim_attributes["Status"] = "SUCCESS"
                verified += 1
        if not verified:
            return 404, {}, json.dumps({"message": f"no SES identity {name}"})
        return 200, {}, json.dumps({"identity": name, "verified": True})

    urls.url_paths[VERIFY_PATH] = verify


def main(argv: list[str] | None = None) -> None:
    patch()
    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
