"""Screenshots of the Dagster UI for the README: the asset graph and one asset page.

Starts ``dagster dev`` on 127.0.0.1 over an instance that already holds a build (so the pages show
materializations, checks and metadata), drives Debian's Chromium with Playwright, and writes PNGs
to ``docs/images/``. Nothing is downloaded: Playwright uses the system's browser.

    apt-get install chromium && pip install -e ".[docs]"
    DAGSTER_HOME=/tmp/home ibert-build --data-dir /tmp/data
    DAGSTER_HOME=/tmp/home IBERT_DATA_DIR=/tmp/data python docs/take_screenshots.py
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_assets(port: int, timeout_s: float = 180) -> None:
    """The code location loads after the server answers: poll GraphQL until assets appear."""
    query = json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql", data=query,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as response:
                if len(json.loads(response.read())["data"]["assetNodes"]) >= 8:
                    return
        except (OSError, KeyError, TypeError, ValueError):
            pass
        time.sleep(1)
    raise SystemExit(f"dagster dev did not serve the asset graph within {timeout_s:.0f} s")


def dismiss_dialogs(page: Any) -> None:  # playwright's Page, imported lazily
    """Dagster's first-visit dialogs (community, what's new) cover the page: close them."""
    for _ in range(3):
        page.keyboard.press("Escape")
        for label in ("Dismiss", "Skip", "Close", "No thanks", "Got it", "Maybe later"):
            button = page.get_by_role("button", name=label)
            if button.count():
                button.first.click()
        page.wait_for_timeout(500)


def shoot(port: int, asset: str, width: int, height: int) -> list[Path]:
    from playwright.sync_api import sync_playwright

    IMAGES.mkdir(parents=True, exist_ok=True)
    shots = [
        # the whole graph: the lineage view starts with groups collapsed; Alt+E expands them
        (f"http://127.0.0.1:{port}/asset-groups", IMAGES / "asset-graph.png", "Alt+e", height),
        # one asset page, tall enough for its metadata: counts as tables, the chart (the page
        # scrolls inside its own pane, so a full-page screenshot would not show more)
        (f"http://127.0.0.1:{port}/assets/{asset}", IMAGES / "asset-page.png", None, 2 * height),
        # the build's runs: one per (stage, partition), an unreachable repository's included
        (f"http://127.0.0.1:{port}/runs", IMAGES / "runs.png", None, height),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_FLAGS)  # fmt: skip
        page = browser.new_page(viewport={"width": width, "height": height})
        for url, path, keys, tall in shots:
            page.set_viewport_size({"width": width, "height": tall})
            page.goto(url, wait_until="networkidle")
            page.wait_for_timeout(3000)  # the graph lays itself out after the data arrives
            dismiss_dialogs(page)
            hide = page.get_by_text("Hide navigation")
            if hide.count():  # the left menu folds to icons: more room for the page
                hide.first.click()
                page.wait_for_timeout(500)
            if keys:
                page.keyboard.press(keys)
                page.wait_for_timeout(2000)
            page.screenshot(path=str(path))
        browser.close()
    return [shot[1] for shot in shots]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asset", default="train_complete", help="the asset page to show")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    if not os.environ.get("DAGSTER_HOME"):
        raise SystemExit("set DAGSTER_HOME to an instance that holds a build (see the docstring)")
    port = free_port()
    dagster = Path(sys.executable).with_name("dagster")
    server = subprocess.Popen(  # as the README starts it: from the instance's folder
        [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port),
         "-w", str(ROOT / "workspace.yaml")],
        cwd=os.environ["DAGSTER_HOME"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the webserver and the code server
    )  # fmt: skip
    try:
        wait_for_assets(port)
        for path in shoot(port, args.asset, args.width, args.height):
            print(f"wrote {path.relative_to(ROOT)}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
