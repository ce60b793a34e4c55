"""The report's HTML, opened in headless Chromium: every plot decodes, with no file beside the page."""

from __future__ import annotations

import pytest

from sft_ablate.report import build_report
from sft_ablate.report.browser_check import check_page, find_browser
from tests.conftest import missing_here
from tests.report_runs import mix_ratio_runs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        missing_here("no Chromium is installed (.ci/run installs it: apt-get install chromium)")
    return found


def test_every_plot_in_the_html_decodes_in_a_browser(tmp_path, browser):
    mix_ratio_runs(tmp_path / "runs")
    report = build_report(tmp_path / "runs")
    result = check_page(report.html, browser)
    assert result.images >= 1 and result.decoded == result.images, result.broken
    assert result.tables >= 3  # by mix, samples, runs


def test_a_broken_image_is_caught(tmp_path, browser):
    page = tmp_path / "page.html"
    page.write_text(
        '<html><body><img src="data:image/png;base64,bm90IGEgcG5n" alt="broken">'
        '<img src="plots/elsewhere.png" alt="a file beside the page"></body></html>'
    )
    result = check_page(page, browser)
    assert (result.images, result.decoded, sorted(result.broken)) == (2, 0, ["a file beside the page", "broken"])
