"""The CA's WebGPU page: files, the shader, and runs in headless Chromium against the reference stepper."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from gatecc.ca import save_ca
from gatecc.ca.arch import CAArch, init_model
from gatecc.ca.stepper import reference_stepper
from gatecc.ca.web import seeded_board, words_to_board
from gatecc.ir.spatial import firing

from conftest import assert_one_line_error
from webdriver import CHROMEDRIVER, CHROMIUM, Browser, StaticServer

ARTIFACTS = Path(os.environ.get("GATECC_ARTIFACTS", Path(__file__).resolve().parents[1] / "out"))


def _model(tmp_path, channels=3, periodic=False):
    model = init_model(CAArch(channels, 2, (8, 4, 2), (24, 12, channels), periodic), seed=channels, random_gates=True)
    save_ca(model, tmp_path / "m.npz")
    return model, tmp_path / "m.npz"


def test_page_files_and_shader(tmp_path, cli):
    from gatecc.backends.wgpu_runtime import default_gpu

    _, path = _model(tmp_path)
    res = cli("ca", path, "--web", tmp_path / "site", "--size", "16x64", "--async", "--fire-rate", "0.5", "--seed", "9")
    assert res.returncode == 0, res.stderr
    site = tmp_path / "site"
    assert sorted(p.name for p in site.iterdir()) == ["ca.js", "index.html", "page.js", "stencil.wgsl"]
    html = (site / "index.html").read_text()
    assert "{{" not in html and 'data-channels="3"' in html and 'data-width="64"' in html
    assert f'data-threshold="{firing.threshold(0.5)}"' in html and 'data-fireseed="9"' in html
    for text in (html, (site / "ca.js").read_text()):
        assert "https://" not in text and "http://" not in text.replace("http://127.0.0.1", "")
    default_gpu().device.create_shader_module(code=(site / "stencil.wgsl").read_text())


def test_page_bad_size(tmp_path, cli):
    _, path = _model(tmp_path)
    assert_one_line_error(cli("ca", path, "--web", tmp_path / "x", "--size", "48"), "multiple of 32")


@pytest.mark.parametrize("channels,periodic,fire", [(3, False, False), (2, True, True)])
def test_browser_steps_as_the_reference(tmp_path, cli, channels, periodic, fire):
    assert CHROMIUM and CHROMEDRIVER, "Debian's chromium and chromium-driver are needed (bash scripts/setup.sh --test)"
    model, path = _model(tmp_path, channels, periodic)
    h, w, steps, seed, fire_seed, rate = 24, 64, 12, 5, 77, 0.6
    res = cli("ca", path, "--web", tmp_path / "site", "--size", f"{h}x{w}")
    assert res.returncode == 0, res.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    threshold = firing.threshold(rate) if fire else 0
    browser = Browser()
    try:
        with StaticServer(tmp_path / "site") as server:
            browser.get(f"{server.url}index.html?test={steps},{seed},{int(fire)},{fire_seed},{threshold}")
            title = browser.wait_title("gatecc-ca: ")
            browser.screenshot(ARTIFACTS / f"ca-web-{channels}.png")
            assert title == "gatecc-ca: done", title
            result = json.loads(browser.execute("return document.getElementById('result').textContent"))
    finally:
        browser.close()
    got = words_to_board(np.array(result["words"], dtype=np.uint32), channels, h, w)
    start = seeded_board(channels, h, w, seed)
    expected = reference_stepper(model).run(start, steps, rate if fire else None, fire_seed)
    assert (expected != start).any()
    np.testing.assert_array_equal(got, expected)


def test_browser_click_toggles_a_cells_channels(tmp_path, cli):
    """Pause, Clear, click cells (one twice): each clicked-once cell has every channel on; two Steps then
    give the reference stepper's board from that painted start."""
    assert CHROMIUM and CHROMEDRIVER, "Debian's chromium and chromium-driver are needed (bash scripts/setup.sh --test)"
    import time

    channels, h, w = 3, 16, 32
    model, path = _model(tmp_path, channels, False)
    res = cli("ca", path, "--web", tmp_path / "site", "--size", f"{h}x{w}")
    assert res.returncode == 0, res.stderr
    clicks = [(3, 4), (10, 7), (10, 7), (31, 15), (0, 0), (20, 2)]        # (x, y); (10, 7) toggled back off
    click = """
        const canvas = document.getElementById('board');
        const r = canvas.getBoundingClientRect();
        for (const [x, y] of arguments[0]) {
          const opts = {clientX: r.left + (x + 0.5) * r.width / arguments[1], clientY: r.top + (y + 0.5) * r.height / arguments[2],
                        pointerId: 1, bubbles: true, button: 0};
          canvas.dispatchEvent(new PointerEvent('pointerdown', opts));
          canvas.dispatchEvent(new PointerEvent('pointerup', opts));
        }"""
    read = "const done = arguments[0]; window.gateccCA.readBoard().then(w => done(Array.from(w)));"
    browser = Browser()
    try:
        with StaticServer(tmp_path / "site") as server:
            browser.get(f"{server.url}index.html")
            assert browser.wait_title("gatecc-ca: ", timeout=120, running_ok=True) == "gatecc-ca: running"
            browser.execute("document.getElementById('play').click(); document.getElementById('clear').click();")
            browser.execute(click, clicks, w, h)
            time.sleep(1.0)   # painting happens on the next animation frame
            painted = browser._call("POST", f"/session/{browser.session}/execute/async", {"script": read, "args": []})
            for _ in range(2):
                browser.execute("document.getElementById('step').click();")
            time.sleep(0.5)
            stepped = browser._call("POST", f"/session/{browser.session}/execute/async", {"script": read, "args": []})
    finally:
        browser.close()
    start = np.zeros((h, w, channels), dtype=np.uint8)
    for x, y in clicks:
        start[y, x, :] ^= 1
    np.testing.assert_array_equal(words_to_board(np.array(painted, dtype=np.uint32), channels, h, w), start)
    np.testing.assert_array_equal(words_to_board(np.array(stepped, dtype=np.uint32), channels, h, w),
                                  reference_stepper(model).run(start, 2))
