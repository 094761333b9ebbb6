"""Issue #32's leftover: axe-core finds no WCAG 2.1 AA violation, at 1280 and 390 px, on the
pages a user reaches only through an action: the lockout page, the set-password page, the
confirmation pages (an irreversible step, a bulk action, a Manager deactivating themselves),
the bulk result, the platform's companies, a webhook endpoint's page and an import's page
(waiting for the worker, then with what its check would refuse)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import BASE_DIR, PASSWORD
from .helpers import axe_violations, create_order

pytestmark = pytest.mark.e2e

SIZES = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
LINK = re.compile(r"(/accounts/set-password/\S+/\S+/)")
SUPERUSER = "platform.axe"
IMPORT_ORDERS = (
    "reference,customer_name,placed_at,submitted_at,approved_at\n"
    "AXE-OLD-1,Axe Import Ltd,2025-03-01T09:00:00Z,2025-03-01T10:00:00Z,\n"
    "AXE-OLD-2,Axe Import Ltd,2025-03-01T09:00:00Z,,2025-03-02T08:00:00Z\n"  # refused
)
IMPORT_LINES = (
    "reference,sku,description,quantity,unit_price\n"
    "AXE-OLD-1,CUP-1,Cup,2,3.50\nAXE-OLD-2,CUP-1,Cup,1,3.50\n"
)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def post_without_htmx(page, action: str, fields: dict[str, str]) -> None:
    """Post `fields` to `action` as a form does without JavaScript (htmx leaves it alone), and
    wait for the page the server answers with."""
    with page.expect_navigation():
        page.evaluate(
            """([action, fields]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
                const all = {...fields, csrfmiddlewaretoken: token};
                for (const [name, value] of Object.entries(all)) {
                    const input = document.createElement("input");
                    input.type = "hidden";
                    input.name = name;
                    input.value = value;
                    form.append(input);
                }
                document.body.append(form);
                form.submit();
            }""",
            [action, fields],
        )


@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_no_violations_on_the_pages_an_action_leads_to(session, server, size):
    axe, found = Axe(), {}
    manager = session.page_as("acme.manager")
    manager.set_viewport_size(SIZES[size])

    # An irreversible step asks on a page of its own (without JavaScript).
    order = path_of(create_order(manager, f"Axe Confirm {size} Ltd", [("AXE-2", "Box", 1, "2.00")]))
    post_without_htmx(manager, f"{order}transitions/cancel/", {"version": "1", "reason": "Axe"})
    expect(manager.get_by_role("heading", level=1)).to_contain_text("Confirm")
    found["order confirmation"] = axe_violations(axe, manager)

    # A bulk action asks first, then says what it did.
    customer = f"Axe Bulk {size} Ltd"
    create_order(manager, customer, [("AXE-3", "Box", 1, "3.00")])
    manager.goto(f"/orders/?state=draft&q={customer.replace(' ', '+')}")
    manager.get_by_label("Select all on this page").check()
    manager.locator("#bulk-form select[name=action]").select_option("cancel")
    manager.locator("#bulk-form textarea[name=reason]").fill("Axe checked")
    manager.locator("#bulk-form").get_by_role("button", name="Apply to the ticked orders").click()
    expect(manager.get_by_test_id("bulk-confirm-count")).to_contain_text("1 order")
    found["bulk confirmation"] = axe_violations(axe, manager)
    manager.get_by_test_id("bulk-confirm").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Cancel order: 1 of 1 done")
    found["bulk result"] = axe_violations(axe, manager)

    # A Manager deactivating themselves is asked first (and is not, here, deactivated).
    manager.goto("/team/")
    own = manager.locator("tr[data-username='acme.manager']")
    own.get_by_role("button", name="Deactivate").click()
    expect(manager.get_by_test_id("team-warnings")).to_be_visible()
    found["team confirmation"] = axe_violations(axe, manager)

    # A webhook endpoint's page.
    # A public address (the server refuses private ones), disabled once checked: nothing is
    # sent there.
    address = f"https://93.184.215.14/axe-{size}"
    manager.goto("/integrations/")
    manager.get_by_label("Address").fill(address)
    manager.get_by_role("button", name="Register").click()
    found["endpoint registered"] = axe_violations(axe, manager)
    manager.goto("/integrations/")
    manager.get_by_role("link", name=address).click()
    expect(manager.get_by_role("heading", level=1)).to_be_visible()
    found["endpoint"] = axe_violations(axe, manager)
    manager.get_by_role("button", name="Disable").click()

    # The set-password page of a one-time link.
    out = server.manage(
        "create_company",
        "--name",
        f"Axe {size} GmbH",
        "--slug",
        f"axe{size}",
        "--currency",
        "EUR",
        "--manager",
        f"keys{size}",
        "--email",
        f"keys@axe{size}.test",
        "--site-url",
        server.url,
    )
    anonymous = session.new_page()
    anonymous.set_viewport_size(SIZES[size])
    anonymous.goto(LINK.search(out).group(1))
    expect(anonymous.locator("#id_new_password1")).to_be_visible()
    found["set password"] = axe_violations(axe, anonymous)

    # The platform superuser's companies.
    server.manage(
        "shell",
        "-c",
        "from accounts.models import User\n"
        f"User.objects.filter(username={SUPERUSER!r}).exists() or "
        f"User.objects.create_superuser({SUPERUSER!r}, 'root@example.test', {PASSWORD!r})",
    )
    platform = session.new_page()
    platform.set_viewport_size(SIZES[size])
    platform.goto("/accounts/login/")
    platform.get_by_label("Username").fill(SUPERUSER)
    platform.get_by_label("Password").fill(PASSWORD)
    platform.get_by_role("button", name="Log in").click()
    platform.goto("/companies/")
    expect(platform.get_by_text("acme", exact=False).first).to_be_visible()
    found["companies"] = axe_violations(axe, platform)

    assert {where: v for where, v in found.items() if v} == {}


@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_no_violations_on_an_import_page(session, server, size):
    axe, found = Axe(), {}
    manager = session.page_as("acme.manager")
    manager.set_viewport_size(SIZES[size])
    manager.goto("/orders/import/")
    manager.get_by_label("Orders file (ORDERS.csv)").set_input_files(
        files=[{"name": "orders.csv", "mimeType": "text/csv", "buffer": IMPORT_ORDERS.encode()}]
    )
    manager.get_by_label("Lines file (LINES.csv)").set_input_files(
        files=[{"name": "lines.csv", "mimeType": "text/csv", "buffer": IMPORT_LINES.encode()}]
    )
    manager.get_by_role("button", name="Upload and check").click()
    expect(manager.get_by_test_id("import-state")).to_be_visible()
    found["waiting"] = axe_violations(axe, manager)

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--poll", "0.2"],
        cwd=BASE_DIR,
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The page polls every 2 s while the job runs: the check's result replaces it.
        expect(manager.get_by_test_id("import-refusals")).to_be_visible(timeout=60_000)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    found["checked"] = axe_violations(axe, manager)

    assert {where: v for where, v in found.items() if v} == {}


def test_axe_finds_no_violations_on_the_lockout_page(session):
    """Once (the failures count towards the address's limit too), checked at both widths."""
    session.problems.expect_status(403, 429)
    axe, found = Axe(), {}
    page = session.new_page()
    for _ in range(6):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("acme.nobody-axe")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        if page.locator("#id_password").count() == 0:
            break
    expect(page.locator("#id_password")).to_have_count(0)  # the lockout page, not the form
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        found[size] = axe_violations(axe, page)

    assert {size: v for size, v in found.items() if v} == {}
