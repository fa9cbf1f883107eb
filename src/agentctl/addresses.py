"""Email address syntax: the one check for agents' emails and mail recipients.

Syntax only, no DNS: a cron job must not fail because a resolver is slow, and a desk
inside a company uses internal domains (``ana@helpdesk.local``, ``lead@corp.internal``)
that its own SMTP relay delivers but the public internet does not know. So
email-validator runs with ``check_deliverability=False`` and
``globally_deliverable=False``, and ``.local`` (mDNS, RFC 6762, widely used for
intranets) is accepted although email-validator lists it as special-use.

Everything else stays strict: quoted local parts, IP literals, ``.invalid``, ``.test``,
``.onion``, ``localhost`` and ``.arpa`` are refused, and so is a domain without a period
or with a numeric last label (``ana@helpdesk`` is almost always a forgotten ``.com``).
"""

from __future__ import annotations

# Special-use names (IANA) that an internal mail relay really delivers.
INTERNAL_SUFFIXES = ("local",)
# A neutral stand-in of the same shape, so the rest of the domain is checked as usual.
_STAND_IN = "internal"


def normalize_email(address: str) -> str:
    """The address normalized (domain lower-cased, IDNA); ValueError saying why if bad."""
    from email_validator import EmailNotValidError, validate_email

    text = address.strip()
    local_part, at, domain = text.rpartition("@")
    suffix = _internal_suffix(domain)
    candidate = f"{local_part}@{domain[: -len(suffix)]}{_STAND_IN}" if at and suffix else text
    try:
        valid = validate_email(candidate, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address {address!r}: {exc}") from None
    last_label = valid.ascii_domain.rpartition(".")[2]
    if "." not in valid.ascii_domain or not last_label[-1:].isalpha():
        raise ValueError(
            f"invalid email address {address!r}: the part after the @-sign needs a "
            "domain name with a period, such as example.com or helpdesk.local"
        )
    if suffix:
        return f"{valid.local_part}@{valid.domain[: -len(_STAND_IN)]}{suffix}"
    return str(valid.normalized)


def _internal_suffix(domain: str) -> str:
    lowered = domain.strip().lower()
    for suffix in INTERNAL_SUFFIXES:
        if lowered.endswith("." + suffix):
            return suffix
    return ""
