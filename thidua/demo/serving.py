"""Where the demo serves: the address it binds, the host names it answers to, the addresses to open.

Django answers only the host names of ALLOWED_HOSTS (127.0.0.1 and localhost unless set). A demo bound to every
address (0.0.0.0) is meant to be opened from a phone on the same network, by the machine's own address: the demo,
and only the demo, adds the machine's addresses and names to the allowed hosts. Production settings never change.
"""

import contextlib
import ipaddress
import re
import socket
from dataclasses import dataclass

EVERYWHERE = {"0.0.0.0", "::"}  # nosec B104 # names the addresses to warn about, binds nothing
HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
LOOPBACK = ["127.0.0.1", "localhost", "[::1]"]
# Documentation addresses (RFC 5737, RFC 3849): "connecting" a UDP socket to one sends nothing, it only picks the
# interface that routes out, whose address is the one the network knows the machine by.
PROBES = ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1"))


def machine_addresses() -> list[str]:
    """Return the machine's addresses other than loopback (IPv6 ones in brackets, as a Host header writes them)."""
    found: list[str] = []
    for family, probe in PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                found.append(s.getsockname()[0])
        except OSError:
            continue  # no route of that family
    with contextlib.suppress(OSError):  # a name the resolver does not know
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_DGRAM)]
    shown = []
    for address in found:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified:
            continue
        text = f"[{ip}]" if ip.version == 6 else str(ip)
        if text not in shown:
            shown.append(text)
    return shown


@dataclass(frozen=True)
class Binding:
    """An address and port as `runserver` takes them: PORT, ADDR:PORT or [IPV6]:PORT."""

    host: str
    port: str
    ipv6: bool = False

    @classmethod
    def parse(cls, addrport: str) -> "Binding":
        text = addrport.strip()
        if text.isdigit():
            host, port, ipv6 = "127.0.0.1", text, False
        elif text.startswith("["):
            host, _, port = text[1:].partition("]:")
            ipv6 = True
        else:
            host, _, port = text.rpartition(":")
            ipv6 = False
        host = "0.0.0.0" if host == "0" else host  # nosec B104 # only when the user asks for it (make demo ADDR=0:…)
        try:
            valid = (port.isdigit() and 0 < int(port) < 65536
                     and (ipaddress.IPv6Address(host) if ipv6 else HOST_NAME.fullmatch(host)))
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(f"«{addrport[:60]}» không phải địa chỉ:cổng (ví dụ 127.0.0.1:8000 hoặc 0.0.0.0:8000).")
        return cls(host, port, ipv6)

    @property
    def addrport(self) -> str:
        return f"[{self.host}]:{self.port}" if self.ipv6 else f"{self.host}:{self.port}"

    def hosts(self) -> list[str]:
        """Return the host names a browser may reach this binding by: bound everywhere, the machine's addresses
        (those a phone uses first), its name and loopback; else the address bound."""
        if self.host not in EVERYWHERE:
            return [f"[{self.host}]" if self.ipv6 else self.host]
        name = socket.gethostname()
        return [*machine_addresses(), *([name, f"{name}.local"] if name else []), *LOOPBACK]

    def allowed_hosts(self, current: list[str]) -> list[str]:
        """Return the allowed hosts of the demo: those of the settings and every host name of `hosts()`."""
        return [*current, *(h for h in self.hosts() if h not in current)]

    def urls(self) -> list[str]:
        """Return the addresses to open: on the network first (a phone's), then on this machine."""
        hosts = self.hosts()
        if self.host in EVERYWHERE:
            hosts = [h for h in hosts if h[0].isdigit() or (self.ipv6 and h.startswith("["))]
        return [f"http://{h}:{self.port}/" for h in hosts]
