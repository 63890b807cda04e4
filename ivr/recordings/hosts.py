"""IVR_MEDIA_HOSTS: the hosts, and their ports, recordings may be downloaded from.

An entry is ``host`` or ``host:port`` (an IPv6 address in brackets when it has
a port). Hosts other than loopback are only reached over HTTPS, so their entry
allows port 443 unless it names another. A loopback host (127.0.0.0/8, ::1,
localhost) named without a port allows any port: local trials and ``ivr call``
serve recordings from whatever port they got.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

HTTPS_PORT = 443
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_ENTRY = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<host>[^:\[\]]+))(?::(?P<port>[0-9]{1,5}))?")


@dataclass(frozen=True)
class MediaHost:
    host: str  # lower case; an IP address in its compressed form
    port: int | None  # None: any port (a loopback host named without one)

    def allows(self, host: str, port: int) -> bool:
        return self.host == canonical(host) and self.port in (None, port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


MediaHosts = tuple[MediaHost, ...]


def canonical(host: str) -> str:
    """``host`` as entries store it: lower case, an IP address compressed."""
    host = host.lower()
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def parse_media_hosts(value: str) -> MediaHosts:
    """The entries of a comma-separated IVR_MEDIA_HOSTS value; ValueError names a bad one."""
    return tuple(_entry(raw.strip(" ")) for raw in value.split(","))


def _entry(text: str) -> MediaHost:
    usage = "use host or host:port, comma-separated"
    if not text:
        raise ValueError(f"an entry is empty ({usage})")
    lowered = text.lower()
    if lowered.count(":") > 1 and "[" not in lowered:  # a bare IPv6 address, no port
        host, port_text = lowered, None
    else:
        match = _ENTRY.fullmatch(lowered)
        if match is None:
            raise ValueError(f"{text!r} is not a host ({usage})")
        host, port_text = match["v6"] or match["host"], match["port"]
    try:
        host = ipaddress.ip_address(host).compressed
    except ValueError:
        if ":" in host or "[" in lowered or not _NAME.fullmatch(host):
            raise ValueError(f"{text!r} is not a host name or IP address ({usage})") from None
    port = None if port_text is None else int(port_text)
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"{text!r}: the port must be 1 to 65535")
    if port is None and not is_loopback(host):
        port = HTTPS_PORT
    return MediaHost(host, port)
