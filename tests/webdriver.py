"""A minimal W3C WebDriver client (plain HTTP to chromedriver) and a static file server.

Only what the browser tests need: start chromedriver and headless Chromium,
open a URL, wait for the title, read an element's text, take a screenshot.
Everything listens on 127.0.0.1.
"""

import base64
import functools
import http.server
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

# Headless Chromium with WebGPU on its bundled SwiftShader (docs/design.md section 5).
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--window-size=1000,1000",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StaticServer:
    """Serves a directory on 127.0.0.1 in a background thread."""

    def __init__(self, directory):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Browser:
    """chromedriver + one headless Chromium session."""

    def __init__(self, extra_args=(), drop_args=()):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="gatecc-chromium-")
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while True:
            try:
                self._call("GET", "/status")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        # Async scripts wait on SwiftShader, which is slow on a loaded machine: W3C's default 30 s is too short.
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "timeouts": {"script": 180000},
                                                 "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [a for a in CHROMIUM_ARGS if a not in drop_args] + list(extra_args)
            + [f"--user-data-dir={self.profile}"]}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method, path, body=None, timeout=120):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}").get("value")

    def get(self, url):
        self._call("POST", f"/session/{self.session}/url", {"url": url})

    def title(self):
        return self._call("GET", f"/session/{self.session}/title")

    def wait_title(self, prefix, timeout=240, running_ok=False):
        """Wait until the title starts with ``prefix`` (and, unless running_ok, is not "...running")."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            title = self.title()
            if title.startswith(prefix) and (running_ok or title != prefix + "running"):
                return title
            time.sleep(0.5)
        raise TimeoutError(f"page title never finished: {self.title()!r}")

    def text(self, css):
        elem = self._call("POST", f"/session/{self.session}/element", {"using": "css selector", "value": css})
        eid = next(iter(elem.values()))
        return self._call("GET", f"/session/{self.session}/element/{eid}/text")

    def execute(self, script, *args):
        return self._call("POST", f"/session/{self.session}/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", f"/session/{self.session}/screenshot"))
        with open(path, "wb") as f:
            f.write(png)

    def close(self):
        try:
            self._call("DELETE", f"/session/{self.session}", timeout=30)
        finally:
            self.driver.terminate()
            self.driver.wait(timeout=30)
            shutil.rmtree(self.profile, ignore_errors=True)
