"""Open a report.html in headless Chromium and check that every plot decoded.

    python -m sft_ablate.report.browser_check outputs/sweeps/mix_ratio/tiny/report/report.html [--screenshot x.png]

A copy of the page gets a small script that, once the page has loaded, counts the <img> elements
whose image decoded (naturalWidth > 0) and writes the counts into the DOM, which Chromium's
--dump-dom prints. The page is opened from a temp dir beside nothing else, so an image that
depended on a file next to report.html would fail here: the check also proves the page is
self-contained. Needs a Chromium binary (Debian: apt-get install chromium).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const ok = (img) => img.complete && img.naturalWidth > 0;
  const out = document.createElement("pre");
  out.id = "sft-ablate-check";
  out.textContent = JSON.stringify({
    images: images.length,
    decoded: images.filter(ok).length,
    broken: images.filter((img) => !ok(img)).map((img) => img.alt),
    tables: document.querySelectorAll("table").length,
  });
  document.body.appendChild(out);
});
</script>"""
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
]


@dataclass
class PageCheck:
    images: int
    decoded: int
    broken: list[str]
    tables: int

    @property
    def ok(self) -> bool:
        return self.images > 0 and self.decoded == self.images


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def check_page(page: Path, browser: str | None = None, screenshot: Path | None = None, timeout: int = 120) -> PageCheck:
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError(f"no Chromium found (looked for {', '.join(BROWSERS)}); apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "page.html"
        probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
        profile = f"--user-data-dir={Path(tmp) / 'profile'}"
        out = subprocess.run(
            [browser, *FLAGS, profile, "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=timeout
        )
        found = re.search(r'<pre id="sft-ablate-check">(.*?)</pre>', out.stdout, re.S)
        if not found:
            raise RuntimeError(f"{browser} did not report on the page (exit {out.returncode}): {out.stderr[-2000:]}")
        if screenshot is not None:
            subprocess.run(
                [
                    browser,
                    *FLAGS,
                    profile,
                    f"--screenshot={screenshot.resolve()}",
                    "--window-size=1280,2400",
                    page.resolve().as_uri(),
                ],
                capture_output=True,
                timeout=timeout,
            )
    return PageCheck(**json.loads(html.unescape(found.group(1))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sft_ablate.report.browser_check", description=__doc__.split("\n")[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--screenshot", type=Path, help="also save a PNG of the top of the page")
    args = parser.parse_args(argv)
    result = check_page(args.page, screenshot=args.screenshot)
    print(
        f"{args.page}: {result.decoded}/{result.images} images decoded, {result.tables} tables"
        + (f"; broken: {result.broken}" if result.broken else "")
    )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
