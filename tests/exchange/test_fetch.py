"""Fetching listings over HTTP from a local server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from reader.sources.fetch import (
    FetchError,
    describe_network_error,
    fetch_listing,
    fetch_url,
    is_url,
)

from .conftest import DATA


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Serves tests/exchange/data on a free port of 127.0.0.1; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(DATA))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_returns_the_recorded_bytes(server: str):
    assert fetch_url(f"{server}/arxiv_rss.xml") == (DATA / "arxiv_rss.xml").read_bytes()


def test_fetch_listing_parses_with_the_url_as_file(server: str):
    url = f"{server}/arxiv_api.atom.xml"
    result = fetch_listing(url)
    assert result.layout == "atom" and result.issues == []
    assert [r.arxiv_id for r in result.records] == ["2507.19427", "2507.03112", "hep-th/9901001"]
    assert all(r.source.file == url for r in result.records)


def test_http_error_status_is_named(server: str):
    url = f"{server}/no-such-feed.xml"
    with pytest.raises(FetchError) as caught:
        fetch_url(url)
    assert str(caught.value) == f"cannot fetch {url}: HTTP 404 File not found"
    result = fetch_listing(url)
    assert result.records == []
    assert [(i.file, i.severity, i.message) for i in result.issues] == [
        (url, "error", "HTTP 404 File not found")
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_closed_port_is_connection_refused():
    url = f"http://127.0.0.1:{_free_port()}/feed.xml"
    with pytest.raises(FetchError, match="connection refused") as caught:
        fetch_url(url, timeout=5)
    assert url in str(caught.value) and "\n" not in str(caught.value)


def test_silent_server_times_out_quickly():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection, never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow.xml"
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
            fetch_url(url, timeout=0.3)
        assert time.monotonic() - started < 5


def test_oversized_response_is_refused(server: str):
    with pytest.raises(FetchError, match=r"response too large \(3683 bytes\)"):
        fetch_url(f"{server}/arxiv_rss.xml", max_bytes=100)


@pytest.mark.parametrize("url", ["ftp://example.org/feed.xml", "file:///etc/passwd", "feed.xml"])
def test_only_http_urls_are_fetched(url: str):
    assert not is_url(url)
    with pytest.raises(FetchError, match="only http:// and https://"):
        fetch_url(url)


def test_network_reasons_read_as_one_line():
    assert is_url("https://export.arxiv.org/api/query?id_list=2507.19427")
    dns = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert describe_network_error(dns) == "host not found (offline, or DNS cannot resolve it)"
    assert describe_network_error(ConnectionRefusedError(111, "Connection refused")).startswith(
        "connection refused"
    )
    unreachable = OSError(101, "Network is unreachable")
    assert describe_network_error(unreachable) == "Network is unreachable (offline?)"
