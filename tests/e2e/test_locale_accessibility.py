"""Issue #29: the pages this work added to or changed pass axe-core with no violation: My
settings (language and time zone), the company controls (time zone), the dashboard (period,
chart table), the order form (amount boxes), the printed confirmation and packing slip."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .helpers import create_order

pytestmark = pytest.mark.e2e


def violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} node(s))"
        for v in results.response["violations"]
    ]


def test_the_locale_pages_have_no_axe_violations(session):
    manager = session.page_as("acme.manager")
    found = {}
    for path in ("/settings/", "/orders/controls/", "/", "/?from=2025-12-20&to=2026-01-10"):
        manager.goto(path)
        found[path] = violations(manager)
    staff = session.page_as("acme.staff")
    staff.goto("/orders/new/")
    found["/orders/new/"] = violations(staff)
    url = create_order(staff, "Axe GmbH", [("AXE-1", "Axe", 1, "9.99")])
    for document in ("confirmation", "packing-slip"):
        staff.goto(f"{url}print/?document={document}")
        found[document] = violations(staff)

    assert {path: v for path, v in found.items() if v} == {}
