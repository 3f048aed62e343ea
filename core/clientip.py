"""The client's address, right behind any number of reverse proxies, and never spoofable.

``settings.LECTERN_PROXY_COUNT`` is the number of reverse proxies in front of Django (nginx,
a load balancer...), each of which appends the address it received the request from to
``X-Forwarded-For`` (nginx: ``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``).

* 0 (the default): ``X-Forwarded-For`` is ignored entirely; the address is ``REMOTE_ADDR``.
  Anyone can send that header, so trusting it without a proxy would let every client pick
  their own address (and lock out anyone's account, or dodge a rate limit).
* N > 0: the address is the N-th entry from the right of ``X-Forwarded-For``, the one the
  outermost proxy saw; entries further left were written by the client and are ignored. A
  request that did not pass through all N proxies (header missing, too short, or not an IP
  address) keeps ``REMOTE_ADDR``.

:class:`ClientAddressMiddleware` (first in MIDDLEWARE) resolves it once per request and puts it
in ``request.META["REMOTE_ADDR"]`` (the proxy's own address is kept in
``META["LECTERN_PROXY_ADDR"]``), so everything that reads REMOTE_ADDR (axes, rate limits, the
check-in's proxy signals, logs) sees the real client. django-axes is pointed at
:func:`client_ip` (AXES_CLIENT_IP_CALLABLE) so it agrees even outside a request cycle.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

RESOLVED_KEY = "LECTERN_CLIENT_ADDR"
PROXY_KEY = "LECTERN_PROXY_ADDR"


def proxy_count() -> int:
    return max(0, int(getattr(settings, "LECTERN_PROXY_COUNT", 0) or 0))


def _valid(address: str) -> str | None:
    address = (address or "").strip()
    if address.startswith("[") and "]" in address:  # [v6]:port
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # v4:port
        address = address.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def resolve(meta, *, count: int | None = None) -> str:
    """The client address from a request's META (see the module text)."""
    count = proxy_count() if count is None else count
    remote = meta.get(PROXY_KEY) or meta.get("REMOTE_ADDR", "") or ""
    if count <= 0:
        return remote
    entries = [e for e in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if e.strip()]
    if len(entries) < count:
        return remote
    return _valid(entries[-count]) or remote


def client_ip(request) -> str:
    """The client address of this request (axes' AXES_CLIENT_IP_CALLABLE)."""
    meta = getattr(request, "META", None)
    if meta is None:
        return ""
    return meta.get(RESOLVED_KEY) or resolve(meta)


class ClientAddressMiddleware:
    """Resolve the client address once and let REMOTE_ADDR carry it (see the module text)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if RESOLVED_KEY not in meta:
            original = meta.get("REMOTE_ADDR", "")
            address = resolve(meta)
            meta[PROXY_KEY] = original
            meta[RESOLVED_KEY] = address
            meta["REMOTE_ADDR"] = address
        return self.get_response(request)
