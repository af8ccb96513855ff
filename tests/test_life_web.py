"""The WebGPU Life page: files, shaders, and an end-to-end run in headless Chromium.

The browser tests need Debian's chromium and chromium-driver (scripts/setup.sh
--test installs them).  Screenshots go to out/ in the repository (or
$GATECC_ARTIFACTS) for a person to look at.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from gatecc.life import reference_step
from gatecc.life.web import seeded_board_words, words32_to_board

from conftest import assert_one_line_error
from webdriver import CHROMEDRIVER, CHROMIUM, Browser, StaticServer

ARTIFACTS = Path(os.environ.get("GATECC_ARTIFACTS", Path(__file__).resolve().parents[1] / "out"))


def _write_page(cli, directory, size=256):
    res = cli("life", "--web", directory, "--size", str(size))
    assert res.returncode == 0, res.stderr
    return Path(directory)


def test_web_writes_a_self_contained_page(tmp_path, cli):
    out = _write_page(cli, tmp_path / "site")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["circuit.wgsl", "index.html", "life.js", "page.js", "paint.wgsl", "step.wgsl"]
    html = (out / "index.html").read_text()
    assert 'data-size="256"' in html and "{{" not in html
    for text in (html, (out / "life.js").read_text()):
        assert "http://" not in text.replace("http://127.0.0.1", "") and "https://" not in text   # nothing remote
    assert "fn gatecc_circuit(x: array<u32, 9>) -> array<u32, 1>" in (out / "circuit.wgsl").read_text()


def test_page_shaders_validate(tmp_path, cli):
    """The exact shader sources the page compiles pass naga (through wgpu)."""
    from gatecc.backends.wgpu_runtime import default_gpu

    out = _write_page(cli, tmp_path / "site")
    device = default_gpu().device
    for code in ((out / "circuit.wgsl").read_text() + "\n" + (out / "step.wgsl").read_text(),
                 (out / "paint.wgsl").read_text()):
        device.create_shader_module(code=code)


@pytest.mark.parametrize("args, needle", [
    (["--size", "48"], "multiple of 32"),
])
def test_web_bad_size(tmp_path, cli, args, needle):
    assert_one_line_error(cli("life", "--web", tmp_path / "x", *args), needle)


def test_seeded_board_is_deterministic():
    a, b = seeded_board_words(64, 7), seeded_board_words(64, 7)
    assert a.shape == (64, 2) and np.array_equal(a, b)
    assert not np.array_equal(a, seeded_board_words(64, 8))
    density = words32_to_board(a).mean()
    assert 0.4 < density < 0.6


def _need_browser():
    assert CHROMIUM and CHROMEDRIVER, "Debian's chromium and chromium-driver are needed (bash scripts/setup.sh --test)"


@pytest.mark.parametrize("size, steps, seed", [(256, 200, 7)])
def test_browser_board_matches_gatecc_life_exactly(tmp_path, cli, size, steps, seed):
    _need_browser()
    site = _write_page(cli, tmp_path / "site", size=size)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    try:
        with StaticServer(site) as server:
            browser.get(f"{server.url}index.html?test={size},{steps},{seed}")
            title = browser.wait_title("gatecc-life: ")
            browser.screenshot(ARTIFACTS / "life-web-test.png")
            assert title == "gatecc-life: done", title
            result = json.loads(browser.execute("return document.getElementById('result').textContent"))
    finally:
        browser.close()
    assert (result["size"], result["steps"], result["seed"]) == (size, steps, seed)
    got = words32_to_board(np.array(result["words"], dtype=np.uint32).reshape(size, size // 32))
    board = words32_to_board(seeded_board_words(size, seed))
    for _ in range(steps):
        board = reference_step(board)
    assert np.array_equal(got, board), f"{int((got != board).sum())} cells differ"


def test_browser_interactive_page_runs_and_reports_speed(tmp_path, cli):
    _need_browser()
    site = _write_page(cli, tmp_path / "site", size=256)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    try:
        with StaticServer(site) as server:
            browser.get(f"{server.url}index.html")
            import time
            deadline = time.time() + 120
            status = ""
            while time.time() < deadline:
                assert not browser.title().startswith("gatecc-life: error"), browser.title()
                status = browser.execute("return document.getElementById('status').textContent")
                if "steps/s" in status and not status.startswith("generation 0 "):
                    break
                time.sleep(0.5)
            browser.screenshot(ARTIFACTS / "life-web.png")
    finally:
        browser.close()
    assert "steps/s" in status and "generation" in status, status


def test_browser_without_webgpu_gets_a_clear_message(tmp_path, cli):
    _need_browser()
    site = _write_page(cli, tmp_path / "site", size=64)
    browser = Browser(drop_args=("--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"),
                      extra_args=("--disable-features=WebGPU", "--disable-gpu"))
    try:
        with StaticServer(site) as server:
            browser.get(f"{server.url}index.html?test=64,1,1")
            title = browser.wait_title("gatecc-life: ", timeout=60)
            message = browser.execute("return document.getElementById('message').textContent")
    finally:
        browser.close()
    assert title.startswith("gatecc-life: error:"), title
    assert "WebGPU" in message


GLIDER = [(1, 0), (2, 1), (0, 2), (1, 2), (2, 2)]   # (x, y) cells


def test_browser_controls_draw_step_and_clear(tmp_path, cli):
    """Pause, Clear, draw a glider with the mouse, Step 4 times: the glider moves by (1, 1)."""
    _need_browser()
    site = _write_page(cli, tmp_path / "site", size=64)
    browser = Browser()
    draw = """
        const canvas = document.getElementById('board');
        const r = canvas.getBoundingClientRect(), n = window.gateccLife.size;
        for (const [x, y] of arguments[0]) {
          const opts = {clientX: r.left + (x + 0.5) * r.width / n, clientY: r.top + (y + 0.5) * r.height / n,
                        pointerId: 1, bubbles: true, button: 0};
          canvas.dispatchEvent(new PointerEvent('pointerdown', opts));
          canvas.dispatchEvent(new PointerEvent('pointerup', opts));
        }"""
    read = "const done = arguments[0]; window.gateccLife.readBoard().then(w => done(Array.from(w)));"
    try:
        with StaticServer(site) as server:
            browser.get(f"{server.url}index.html")
            assert browser.wait_title("gatecc-life: ", timeout=120, running_ok=True) == "gatecc-life: running"
            browser.execute("document.getElementById('play').click(); document.getElementById('clear').click();")
            browser.execute(draw, [[x + 10, y + 20] for x, y in GLIDER])
            import time
            time.sleep(1.0)   # painting happens on the next animation frame
            for _ in range(4):
                browser.execute("document.getElementById('step').click();")
            time.sleep(0.5)
            words = browser._call("POST", f"/session/{browser.session}/execute/async", {"script": read, "args": []})
            label = browser.execute("return document.getElementById('play').textContent")
    finally:
        browser.close()
    assert label == "Play"                                      # paused
    got = words32_to_board(np.array(words, dtype=np.uint32).reshape(64, 2))
    board = np.zeros((64, 64), dtype=bool)
    for x, y in GLIDER:
        board[y + 20, x + 10] = True
    for _ in range(4):
        board = reference_step(board)
    assert np.array_equal(got, board)
    assert sorted(zip(*np.nonzero(got))) == sorted((y + 21, x + 11) for x, y in GLIDER)
