"""The API key: read it clean, refuse what a header cannot carry, and keep it out of every
message in every form it could take (pure, but for the one warning)."""

from __future__ import annotations

import ipaddress
import logging
import urllib.parse

from ..core import errors

log = logging.getLogger("stt_toolkit.api")
_warned_hosts: set[str] = set()


def clean_key(raw: str | None, source: str) -> str:
    """The key without the whitespace around it (a CRLF ``.env`` file leaves ``\\r``).

    ``source`` names where it came from, for the messages, which never echo the key:
    :class:`~errors.AuthenticationError` when there is none, or when it holds characters an
    HTTP header cannot carry (a line break or a non-ASCII character inside it).
    """
    key = (raw or "").strip()
    if not key:
        raise errors.AuthenticationError(f"no API key: set {source} or pass api_key"
                                         if source != "api_key" else "the api_key given is empty", status=0)
    if not all(33 <= ord(c) <= 126 for c in key):
        raise errors.AuthenticationError(
            f"the API key from {source} holds characters an HTTP header cannot carry (a space, a line "
            "break or a non-ASCII character inside it); check how it was copied", status=0)
    return key


def secret_forms(key: str) -> tuple[str, ...]:
    """Every way ``key`` can appear in a message: as it is, in a bytes repr, URL-encoded."""
    forms = {key, repr(key.encode())[2:-1], urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key)}
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


def scrub(text: str, forms: tuple[str, ...]) -> str:
    """``text`` with every form of the key replaced by ``***``."""
    for form in forms:
        text = text.replace(form, "***")
    return text


def warn_if_plain_http(base_url: str) -> None:
    """Warn once per host when the key would travel unencrypted beyond this machine."""
    parts = urllib.parse.urlsplit(base_url)
    host = parts.hostname or ""
    if parts.scheme != "http" or _is_loopback(host) or host in _warned_hosts:
        return
    _warned_hosts.add(host)
    log.warning("warning: the API key will travel unencrypted to %s over http://; use https:// unless "
                "this network is yours", host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
