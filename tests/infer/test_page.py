"""The review page in headless Chromium (Debian's, driven by Playwright), as a clerk uses it:
type, restore, click a highlighted word, change it, download."""
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.infer.test_serve import start

TEXT = "UBND xa Ba Bich da pho bien\nKét qua cong tac tuyén truyén cai cach hanh chinh quy I nim 2024"


@pytest.fixture(scope="module")
def browser_page():
    proc, url = start()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "the page test needs Chromium: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page(accept_downloads=True)
        page.goto(url)
        yield page
        browser.close()
    proc.terminate()
    proc.wait(30)


def test_restore_check_a_word_change_it_and_download(browser_page, tmp_path):
    page = browser_page
    page.fill("#input", TEXT)
    page.click("#restore")
    expect(page.locator("#status")).to_contain_text("to check")
    output = page.locator("#output")
    assert output.inner_text().startswith("UBND xã Ba Bích đã phổ biến\nKết quả công tác tuyên truyền")
    doubtful = page.locator("#output span.low, #output span.doubt, #output span.flagged")
    assert doubtful.count() >= 1
    word = page.locator(f'#output span[data-i="{doubtful.first.get_attribute("data-i")}"]')  # stays this word
    before = word.inner_text()
    word.click()
    expect(page.locator("#word")).to_be_visible()
    assert page.locator("#word-output").inner_text() == before
    assert page.locator("#choices button").count() >= 2  # the word as restored and another form
    page.fill("#word-edit", "Bà")
    page.click("#word-change")
    expect(word).to_have_text("Bà")
    expect(word).to_have_class("checked current")
    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / "restored.txt"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8") == output.inner_text()
    assert "Bà" in saved.read_text(encoding="utf-8") and len(saved.read_text(encoding="utf-8").splitlines()) == 2


def test_a_service_error_is_shown_not_swallowed(browser_page):
    page = browser_page
    page.set_input_files("#file", files=[{"name": "scan.pdf", "mimeType": "application/pdf",
                                          "buffer": b"%PDF-1.4 no"}])
    page.click("#restore")
    expect(page.locator("#status")).to_contain_text("scan.pdf: cannot read it as a PDF")
    expect(page.locator("#status")).to_have_class("error")
