"""``qualcode serve``: the workbench in a real headless Chromium, and the server's refusals.

The browser test needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs
them); without them it is skipped, except in CI, where it fails. The page's text is drawn
on a canvas, so the browser is told, before the page loads, to note every glyph it paints:
what the test reads is what the page painted.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qualcode.serve import is_loopback, workbench_command
from qualcode.store import Project

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Every glyph a 2D canvas draws (xterm.js draws its glyph atlas that way with either renderer).
NOTE_PAINTED_GLYPHS = """
window.__painted = [];
for (const proto of [CanvasRenderingContext2D.prototype,
                     OffscreenCanvasRenderingContext2D.prototype]) {
  const fillText = proto.fillText;
  proto.fillText = function (text, ...rest) {
    window.__painted.push(String(text));
    return fillText.call(this, text, ...rest);
  };
}
"""
GIVE_UP = 180  # seconds: a broken page fails the test instead of hanging CI (no speed limit)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(project: Path, home: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``qualcode serve PROJECT ARGS`` running; yields the address it printed."""
    env = {
        **os.environ,
        "QUALCODE_HOME": str(home),
        "QUALCODE_CODER": "wang",
        "QUALCODE_LANG": "zh",
        "PYTHONIOENCODING": "utf-8",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "qualcode", "serve", str(project), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        encoding="utf-8",
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # printed once the port is bound
        assert "open http" in line, line + server.stderr.read()
        yield line.split("open ", 1)[1].split()[0], server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def test_loopback_addresses_are_told_apart() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "localhost", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.20", "lab-server", ""]))


def test_workbench_command_keeps_a_path_with_spaces_and_chinese_whole(tmp_path: Path) -> None:
    project = tmp_path / "我的 研究" / "访谈 项目"
    command = workbench_command(project, lang="zh", coder="王 老师")
    if os.name != "nt":
        assert shlex.split(command)[-6:] == [
            "tui",
            str(project),
            "--lang",
            "zh",
            "--coder",
            "王 老师",
        ]


def test_a_server_on_another_address_refuses_requests_without_its_token(
    sample_project_dir: Path, tmp_path: Path
) -> None:
    # 0.0.0.0 is every interface; the requests below go to the loopback one only.
    port = free_port()
    with served(
        sample_project_dir, tmp_path / "home", "--host", "0.0.0.0", "--port", str(port)
    ) as (url, _):
        token = url.split("?token=", 1)[1]
        assert len(token) >= 24
        base = f"http://127.0.0.1:{port}"
        assert status_of(f"{base}/") == 403
        assert status_of(f"{base}/?token=wrong{token}") == 403
        assert status_of(f"{base}/ws") == 403
        assert status_of(f"{base}/static/js/textual.js") == 403
        assert status_of(f"{base}/?token={token}") == 200
        # The page's script, style and font come with the cookie the page set.
        cookie = {"Cookie": f"qualcode_token={token}"}
        assert status_of(f"{base}/static/js/textual.js", cookie) == 200


def test_a_loopback_server_refuses_other_sites_pages_and_rebound_names(
    sample_project_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    with served(sample_project_dir, tmp_path / "home", "--port", str(port)) as (url, _):
        assert url == f"http://127.0.0.1:{port}/"
        page = urllib.request.urlopen(url).read().decode("utf-8")
        # Nothing on the page comes from elsewhere: every address is this server's.
        assert "http://" not in page.replace(f"ws://127.0.0.1:{port}/ws", "")
        assert "https://" not in page
        assert status_of(f"{url}static/fonts/RobotoMono-VariableFont_wght.ttf") == 200
        # A page of another site must not drive the workbench through the websocket ...
        upgrade = {
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        }
        assert status_of(f"{url}ws", {**upgrade, "Origin": "http://example.com"}) == 403
        # ... nor reach the server by a name of its own that resolves to 127.0.0.1.
        assert status_of(url, {"Host": f"rebound.example.com:{port}"}) == 403


def test_serve_refuses_a_folder_without_a_project(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "qualcode",
            "serve",
            str(tmp_path / "none"),
            "--port",
            str(free_port()),
        ],
        check=False,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "QUALCODE_HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "qualcode.db" in result.stderr


def test_serve_says_which_port_is_taken(sample_project_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "qualcode",
                "serve",
                str(sample_project_dir),
                "--port",
                str(port),
            ],
            check=False,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**os.environ, "QUALCODE_HOME": str(tmp_path)},
        )
    assert result.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


# --- in a real browser -----------------------------------------------------------------------


@pytest.fixture
def chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A headless Chromium that reaches nothing beyond this machine, with a fresh profile."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium and chromium-driver (.ci/run)")
        pytest.skip("needs Debian's chromium and chromium-driver")
    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium must not look for drivers online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,900",
        f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NOTE_PAINTED_GLYPHS})
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(condition, what: str):
    """Poll ``condition`` until it returns something true; fail naming ``what`` if it never
    does (a guard against hanging, not a measure of speed)."""
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    pytest.fail(f"never happened: {what}")


def painted(driver) -> str:
    return driver.execute_script("return window.__painted.join('')")


@pytest.mark.browser
def test_coding_a_sentence_in_the_browser(
    chromium, sample_project_dir: Path, tmp_path: Path
) -> None:
    with Project.open(sample_project_dir) as project:
        favourite = project.favourites()[1]
        first = project.transcript("A01_zhang").text
    with served(sample_project_dir, tmp_path / "home", "--port", str(free_port())) as (url, _):
        chromium.get(url)
        # The workbench opens the first transcript: its Chinese words are painted.
        wait_for(
            lambda: all(c in painted(chromium) for c in "访谈者张老师您好政务服务网"),
            "the transcript's Chinese text painted on the page",
        )
        # Nothing was fetched from anywhere but this server (the font included).
        fetched = chromium.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert any(name.endswith(".ttf") for name in fetched)
        assert all(name.startswith(url.rstrip("/")) for name in fetched), fetched
        time.sleep(1)  # let the first frames settle before the picture (not an assertion)
        screenshot = tmp_path / "serve.png"
        chromium.save_screenshot(str(screenshot))
        artifacts = os.environ.get("QUALCODE_ARTIFACTS")
        if artifacts:
            shutil.copy(screenshot, Path(artifacts) / "serve.png")
        assert screenshot.stat().st_size > 10_000

        keyboard = chromium.find_element("css selector", ".xterm-helper-textarea")
        keyboard.send_keys("1")  # the favourite key 1 codes the current sentence

        def coded():
            with Project.open(sample_project_dir) as project:
                return project.codings()

        codings = wait_for(coded, "a coding stored after pressing 1")
        if artifacts:
            time.sleep(1)  # the coloured span reaches the page after the store (a picture only)
            chromium.save_screenshot(str(Path(artifacts) / "serve-coded.png"))
    assert [(c.transcript, c.code_id, c.coder) for c in codings] == [
        ("A01_zhang", favourite, "wang")
    ]
    assert codings[0].text == first[codings[0].start : codings[0].end]
    assert codings[0].text.startswith("张老师您好")


@pytest.mark.browser
def test_the_browser_gets_the_workbench_only_with_the_token(
    chromium, sample_project_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    with served(
        sample_project_dir, tmp_path / "home", "--host", "0.0.0.0", "--port", str(port)
    ) as (url, _):
        local = f"http://127.0.0.1:{port}/"
        chromium.get(local)
        assert "needs the token" in chromium.find_element("tag name", "body").text
        assert painted(chromium) == ""
        # With the token the page, its script and font (fetched with the cookie) and the
        # websocket (token in its path) all come through.
        chromium.get(local + "?" + url.split("?", 1)[1])
        wait_for(
            lambda: all(c in painted(chromium) for c in "访谈者张老师您好"),
            "the workbench painted with the token",
        )
