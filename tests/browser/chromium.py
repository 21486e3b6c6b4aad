"""Headless Chromium (Debian's ``chromium`` package) driven through the DevTools protocol
with ``websocket-client``: open a page, collect its console errors, run the report's
checks in the page, take a full-page screenshot.

No browser is downloaded: :func:`find_chromium` looks for the installed binary only.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WINDOW = (1280, 900)  # CSS pixels: the page's content (1100 px) fits with its margins

# Runs in the page; returns what is wrong with it. Text boxes overflow when their content
# is wider (or taller) than the box; an image is broken when it has no decoded width; a
# figure's smallest text, scaled as the image is shown, must be at least 9 pt; a row of
# figures must fill its width (no half-empty rows).
CHECKS = """
(() => {
  const out = {images: 0, broken: [], overflow: [], small_text: [], half_empty: [], wide: []};
  const name = (el) => (el.alt || el.textContent || el.tagName).trim().slice(0, 80);
  for (const img of document.images) {
    out.images += 1;
    if (!img.complete || img.naturalWidth === 0) out.broken.push(name(img));
    const minPt = parseFloat(img.dataset.minPt), css = parseFloat(img.dataset.cssWidth);
    if (!(minPt > 0) || !(css > 0)) {
      out.small_text.push(name(img) + ': no recorded size');
      continue;
    }
    const shown = minPt * img.clientWidth / css;
    if (shown < 8.95) out.small_text.push(name(img) + ': ' + shown.toFixed(2) + ' pt');
  }
  const texts = document.querySelectorAll('h1,h2,h3,h4,p,th,td,caption,figcaption,li');
  for (const el of texts) {
    if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
      out.overflow.push(el.tagName + ': ' + name(el));
  }
  const body = document.body.getBoundingClientRect();
  for (const el of document.querySelectorAll('table,.row,figure,img')) {
    const r = el.getBoundingClientRect();
    if (r.right > body.right + 1 || r.left < body.left - 1)
      out.wide.push(el.tagName + ': ' + name(el));
  }
  for (const row of document.querySelectorAll('.row')) {
    let used = 0;
    for (const fig of row.children) used += fig.getBoundingClientRect().width;
    const gaps = 16 * (row.children.length - 1);
    if (used + gaps < 0.95 * row.clientWidth)
      out.half_empty.push(Array.from(row.children).map(name).join(' | '));
  }
  out.page_width = document.documentElement.scrollWidth;
  out.window_width = window.innerWidth;
  return JSON.stringify(out);
})()
"""


def find_chromium() -> str | None:
    """The installed Chromium (Debian's ``chromium``), or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageCheck:
    """What :data:`CHECKS` found, and the console errors of the page."""

    result: dict[str, Any]
    console_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every failure, one line each; empty when the page is fine."""
        lines = [f"console error: {e}" for e in self.console_errors]
        labels = {
            "broken": "image not decoded",
            "overflow": "text overflows its box",
            "small_text": "figure text under 9 pt",
            "half_empty": "half-empty row of figures",
            "wide": "wider than the page",
        }
        for key, label in labels.items():
            lines += [f"{label}: {item}" for item in self.result.get(key, [])]
        if self.result.get("page_width", 0) > self.result.get("window_width", 0):
            lines.append(f"the page scrolls sideways: {self.result['page_width']} px wide")
        return lines


class Chromium:
    """One headless Chromium with a fresh profile; a context manager."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.profile = tempfile.mkdtemp(prefix="cortexkit-chromium-")
        self.process: subprocess.Popen[bytes] | None = None
        self.ws: Any = None
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        import websocket  # websocket-client, in the dev extra

        args = [self.binary, *FLAGS, f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                "about:blank"]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if self.process.poll() is not None or time.monotonic() > deadline:
                stderr = self.process.stderr
                err = stderr.read().decode(errors="replace") if stderr else ""
                self.close()
                raise RuntimeError(f"chromium did not start: {err[-2000:]}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list").read())
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)  # fmt: skip
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=WINDOW[0], height=WINDOW[1],
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call ``method`` and return its result; events that arrive meanwhile are kept."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 60) -> None:
        """Wait until ``event`` arrives (or has arrived since the last navigation)."""
        if any(e.get("method") == event for e in self.events):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            self.events.append(message)
            if message.get("method") == event:
                return
        raise TimeoutError(f"no {event} within {timeout} s")

    def open(self, path: str | os.PathLike[str]) -> None:
        """Load a local file and wait for its load event."""
        self.events.clear()
        self.send("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait_for("Page.loadEventFired")

    def console_errors(self) -> list[str]:
        """Errors the page logged: console.error, uncaught exceptions, failed loads."""
        errors = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                       for a in params.get("args", [])))  # fmt: skip
            elif method == "Runtime.exceptionThrown":
                errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append(params["entry"].get("text", "error"))
        return errors

    def check(self) -> PageCheck:
        """Run :data:`CHECKS` in the open page."""
        value = self.send("Runtime.evaluate", expression=CHECKS, returnByValue=True)
        return PageCheck(json.loads(value["result"]["value"]), self.console_errors())

    def screenshot(self, path: str | os.PathLike[str]) -> None:
        """A PNG of the whole page (beyond the window), at one pixel per CSS pixel."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip=clip)  # fmt: skip
        Path(path).write_bytes(base64.b64decode(shot["data"]))
