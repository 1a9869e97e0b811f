"""The built site in a real browser with the network off: the ER diagrams show as pictures, never as source text.

Headless Chromium loads the pages from a local server that is also its only proxy, so every request the page makes
outside the site reaches that server, is refused and is recorded: an external font, script or stylesheet fails
the test instead of hanging, and a diagram that needed the internet would not show. A script added to each page
served reports, once the page has loaded, the size of each diagram picture and whether Mermaid source text shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .test_site import _build, needs_mkdocs

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_SERVICES = re.compile(r"//([\w.-]+\.google\.com|content-autofill\.googleapis\.com|update\.googleapis\.com)[:/]")
"""Hosts Chromium itself calls (clock, accounts, autofill, updates) whatever the page: not the site's requests.
Web fonts (fonts.googleapis.com, fonts.gstatic.com) are not among them."""
CHECK = """
<script>
window.addEventListener("load", function () {
  var pictures = Array.prototype.slice.call(document.querySelectorAll(".warp-diagram img"));
  document.documentElement.setAttribute("data-check", JSON.stringify({
    pictures: pictures.map(function (img) {
      return {src: img.getAttribute("src"), natural: img.complete ? img.naturalWidth : 0,
              shown: img.getBoundingClientRect().width};
    }),
    mermaidText: document.body.innerText.indexOf("erDiagram") >= 0,
    brokenNames: Array.prototype.slice.call(document.querySelectorAll("td code")).filter(function (code) {
      return code.textContent.indexOf(" ") < 0 && code.getClientRects().length > 1;
    }).map(function (code) { return code.textContent; }),
    mermaidBlocks: document.querySelectorAll(".mermaid, code.language-mermaid").length
  }));
});
</script>
"""


def _browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


needs_browser = pytest.mark.skipif(
    _browser() is None, reason="no Chromium installed (apt-get install chromium); the site's offline check needs one"
)


@dataclass
class _Site:
    """The built site on 127.0.0.1, also acting as the browser's proxy: requests for elsewhere are refused."""

    root: Path
    external: list[str] = field(default_factory=list)
    port: int = 0


def _handler(site: _Site) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def refuse(self, url: str) -> None:
            if not BROWSER_SERVICES.search(url):
                site.external.append(url)
            self.send_error(502, "no network")

        def do_CONNECT(self) -> None:  # an https:// request through the proxy
            self.refuse(f"https://{self.path}")

        def do_GET(self) -> None:
            own = f"http://127.0.0.1:{site.port}/"
            if self.path.startswith(("http://", "https://")) and not self.path.startswith(own):
                self.refuse(self.path)
                return
            self.path = "/" + self.path.removeprefix(own).lstrip("/")
            target = site.root / self.path[1:].split("?")[0]
            if target.is_dir():
                target = target / "index.html"
            if target.suffix == ".html" and target.is_file():
                body = target.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    return Handler


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Site]:
    out = tmp_path_factory.mktemp("site")
    result = _build(Path(__file__).resolve().parents[2] / "mkdocs.yml", out)
    assert result.returncode == 0, result.stdout + result.stderr
    site = _Site(out)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_handler(site), directory=str(out)))
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        try:
            socket.create_connection(("127.0.0.1", site.port), timeout=2).close()
        except OSError as exc:
            pytest.skip(f"no loopback network here ({exc}): the browser cannot reach the site's local server")
        yield site
    finally:
        server.shutdown()
        server.server_close()


def _open(site: _Site, page: str, tmp_path: Path) -> dict[str, Any]:
    browser = _browser()
    assert browser is not None
    argv = [
        browser,
        "--headless",
        "--no-sandbox",  # tests may run as root in containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=AutofillServerCommunication,NetworkTimeServiceQuerying,OptimizationHints,Translate",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--proxy-server=http://127.0.0.1:{site.port}",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1280,2400",
        "--virtual-time-budget=10000",
        "--dump-dom",
        f"http://127.0.0.1:{site.port}/{page}",
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    marker = 'data-check="'
    assert marker in done.stdout, f"the page's check did not run: {done.stdout[:500]} {done.stderr[-1000:]}"
    raw = done.stdout.split(marker, 1)[1].split('"', 1)[0]
    report: dict[str, Any] = json.loads(raw.replace("&quot;", '"').replace("&amp;", "&"))
    return report


@needs_mkdocs
@needs_browser
@pytest.mark.parametrize("page", ["reference/", "reference/trunks/", ""])
def test_the_diagrams_show_offline_at_their_own_size(served: _Site, page: str, tmp_path: Path) -> None:
    report = _open(served, page, tmp_path)
    assert report["mermaidBlocks"] == 0 and not report["mermaidText"], "Mermaid source shows instead of a picture"
    pictures = report["pictures"]
    assert pictures, f"no diagram on /{page}"
    for picture in pictures:
        assert picture["natural"] > 400, f"{picture['src']} did not load: {picture}"
        assert abs(picture["shown"] - picture["natural"]) <= 1, f"{picture['src']} is scaled down: {picture}"
    assert served.external == [], f"the site asked for {served.external}"
    assert report["brokenNames"] == [], "identifiers in tables break mid-word"


@needs_mkdocs
@needs_browser
def test_a_request_outside_the_site_is_seen_and_refused(served: _Site, tmp_path: Path) -> None:
    """The check can fail: a page that loads a CDN script has its request recorded (and refused)."""
    page = served.root / "probe" / "index.html"
    page.parent.mkdir(exist_ok=True)
    page.write_text(
        "<html><head><script src='https://cdn.jsdelivr.net/npm/mermaid@10/dist/mermaid.min.js'></script></head>"
        "<body><p>probe</p></body></html>",
        encoding="utf-8",
    )
    before = len(served.external)
    try:
        report = _open(served, "probe/", tmp_path)
    finally:
        page.unlink()
    assert report["pictures"] == []
    assert any("cdn.jsdelivr.net" in url for url in served.external[before:]), served.external
    del served.external[before:]
