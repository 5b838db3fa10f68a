"""The transformer test server's page names what runs: a 2-block transformer, not the bigram
model the charlm record it reuses usually builds (the server gives the scenario its title)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import save_screenshot
from .helpers import open_page
from .test_transformer import transformer_url  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

TITLE = "Transformer language model (2 blocks)"  # as _transformer_server.py names it


def test_the_picker_names_the_transformer_that_runs(
    browser: Browser,
    transformer_url: str,  # noqa: F811
) -> None:
    page = open_page(browser, transformer_url, "/#scenario=charlm&batch_size=4", size=(1280, 720))
    picker = page.get_by_test_id("scenario-select")
    expect(picker.locator("option:checked")).to_have_text(TITLE)
    expect(picker).to_have_attribute(
        "title",
        "A 2-block transformer character language model"
        " learns which character comes next from the characters"
        " before it.",
    )
    # The built-ins the same server offers keep the names the page gives them.
    expect(picker.locator("option[value=linear]")).not_to_have_text(TITLE)
    expect(page.get_by_test_id("area-objects")).to_contain_text("TransformerLM")
    save_screenshot(page, "transformer-title-en")
    page.context.close()
