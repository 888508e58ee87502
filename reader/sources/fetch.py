"""Listings from http(s) URLs (an arXiv API query, an RSS feed, a shared export).

One request with a timeout for every step and a deadline for the whole download; every way
it can fail (offline, unknown host, refused, HTTP status, timeout, too large) becomes one
`FetchError` with a one-line message naming the URL, never a traceback.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

from reader.models import ParseIssue, ParseResult
from reader.sources import ParseOptions, parse_bytes

#: A listing is at most tens of megabytes; refuse to fill memory with anything larger.
MAX_FETCH_BYTES = 256 << 20
USER_AGENT = "reader/0.1 (a terminal paper-triage tool)"
_CHUNK = 1 << 16


class FetchError(Exception):
    """A URL could not be fetched; ``str(error)`` is a one-line message naming the URL."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot fetch {url}: {reason}")
        self.url = url
        self.reason = reason


def is_url(text: str) -> bool:
    """True for an http(s) URL (what `reader import` fetches instead of opening a file)."""
    return urllib.parse.urlsplit(text.strip()).scheme.lower() in ("http", "https")


def fetch_url(url: str, *, timeout: float = 15.0, max_bytes: int = MAX_FETCH_BYTES) -> bytes:
    """The body of `url`; raises FetchError (offline, DNS, HTTP status, timeout, too large)."""
    if not is_url(url):
        raise FetchError(url, "only http:// and https:// URLs can be fetched")
    request = urllib.request.Request(
        url.strip(), headers={"User-Agent": USER_AGENT, "Accept": "*/*"}
    )
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(url, f"response too large ({int(length)} bytes)")
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(url, f"timed out after {timeout:g} s (download too slow)")
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(url, f"response larger than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise FetchError(url, f"HTTP {exc.code} {exc.reason or ''}".strip()) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise FetchError(url, f"timed out after {timeout:g} s") from None
        raise FetchError(url, describe_network_error(exc.reason)) from None
    except TimeoutError:
        raise FetchError(url, f"timed out after {timeout:g} s") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:  # reset, bad URL, bad reply
        raise FetchError(url, describe_network_error(exc)) from None


def describe_network_error(reason: object) -> str:
    """A short human reason for what urllib wraps in URLError (or raises mid-download)."""
    if isinstance(reason, socket.gaierror):
        return "host not found (offline, or DNS cannot resolve it)"
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (nothing is listening there)"
    if isinstance(reason, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(reason, http.client.IncompleteRead):
        return "connection closed before the whole response arrived"
    if isinstance(reason, http.client.HTTPException):
        return f"bad HTTP response ({type(reason).__name__})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error ({getattr(reason, 'reason', None) or reason})"
    if isinstance(reason, OSError) and reason.errno is not None:
        text = reason.strerror or str(reason)
        if "unreachable" in text.lower():
            return f"{text} (offline?)"
        return text
    text = " ".join(str(reason).split())
    return text or type(reason).__name__


def fetch_listing(
    url: str, options: ParseOptions | None = None, *, timeout: float = 15.0
) -> ParseResult:
    """Fetch and parse one listing URL; a failed fetch is an error issue, never an exception.

    Records and issues name the URL as their file, so provenance says where a paper came from.
    """
    try:
        data = fetch_url(url, timeout=timeout)
    except FetchError as exc:
        return ParseResult(url, None, [], [ParseIssue(url, 0, exc.reason, "error")])
    return parse_bytes(data, url, options)
