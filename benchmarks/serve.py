"""`qualcode serve` figures for docs/benchmarks.md: from starting the server to the workbench
painted in a real headless Chromium.

Each run starts `qualcode serve PROJECT --port P` (a fresh process, as a researcher would) on
the sample study already imported, and times, from the moment the process is started:

- listening: the server has bound its port and printed the address to open;
- page loaded: the browser's `get()` of that address returns (HTML, script, style, font);
- painted: the first transcript's Chinese text has been drawn on the page (the browser notes
  every glyph its canvases draw; the workbench process is started by the page's websocket).

The browser is started once, before the runs, with the flags the test uses (Debian's
chromium and chromium-driver); each run loads the page in a fresh tab state.

Run: .venv/bin/python benchmarks/serve.py [RUNS]   (default 5)
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.test_serve import (  # the test's browser and server helpers
    CHROMEDRIVER,
    CHROMIUM,
    NOTE_PAINTED_GLYPHS,
    free_port,
)

PAINTED = "访谈者张老师您好政务服务网"


def browser(profile: str):
    os.environ.setdefault("SE_OFFLINE", "true")
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
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NOTE_PAINTED_GLYPHS})
    return driver


def one_run(driver, project: Path, home: Path) -> tuple[float, float, float]:
    env = {
        **os.environ,
        "QUALCODE_HOME": str(home),
        "QUALCODE_CODER": "wang",
        "QUALCODE_LANG": "zh",
    }
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "qualcode", "serve", str(project), "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
        encoding="utf-8",
    )
    try:
        line = server.stdout.readline()
        listening = time.perf_counter() - start
        driver.get(line.split("open ", 1)[1].split()[0])
        loaded = time.perf_counter() - start
        while not all(
            c in driver.execute_script("return window.__painted.join('')") for c in PAINTED
        ):
            time.sleep(0.02)
        painted = time.perf_counter() - start
        driver.get("about:blank")  # the tab lets go of the workbench before the server stops
    finally:
        server.terminate()
        server.wait()
    return listening, loaded, painted


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    from qualcode.study import create_sample_project

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "示例 研究"
        create_sample_project(project).close()
        driver = browser(str(Path(tmp) / "profile"))
        try:
            one_run(driver, project, Path(tmp) / "home")  # warm the disk cache, not counted
            results = [one_run(driver, project, Path(tmp) / "home") for _ in range(runs)]
        finally:
            driver.quit()
    version = subprocess.run(
        [str(CHROMIUM), "--version"], check=False, capture_output=True, text=True
    )
    print(
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{version.stdout.strip()}; {runs} runs after one warm-up"
    )
    print("| From `qualcode serve` started to | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    for i, what in enumerate(
        (
            "listening (address printed)",
            "page loaded in the browser",
            "workbench painted (transcript text drawn)",
        )
    ):
        column = [r[i] for r in results]
        print(
            f"| {what} | {statistics.median(column):.2f} | {min(column):.2f} | {max(column):.2f} |"
        )


if __name__ == "__main__":
    main()
