"""A company from scratch, without the admin: `create_company`, the manager sets a password and
logs in, adds a colleague on the Team page, and the colleague sets a password and logs in."""

import re

import pytest
from playwright.sync_api import expect

from .helpers import nav

pytestmark = pytest.mark.e2e

LINK = re.compile(r"(/accounts/set-password/\S+/\S+/)")


def set_password(page, link: str, password: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    page.locator("#id_new_password1").fill(password)  # Django's SetPasswordForm
    page.locator("#id_new_password2").fill(password)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("nav-identity")).to_contain_text(username)


def test_a_new_company_gets_its_manager_and_staff_without_the_admin(session, server):
    out = server.manage(
        "create_company",
        "--name",
        "Initrode",
        "--slug",
        "initrode",
        "--currency",
        "USD",
        "--manager",
        "lumbergh",
        "--email",
        "bill@initrode.test",
        "--site-url",
        server.url,
    )
    manager_link = LINK.search(out).group(1)

    manager = session.new_page()
    set_password(manager, manager_link, "Yeah-if-you-could-2026")
    log_in(manager, "lumbergh", "Yeah-if-you-could-2026")
    expect(manager.get_by_test_id("nav-identity")).to_contain_text("Initrode")
    first_run = manager.get_by_test_id("first-run")
    expect(first_run).to_contain_text("Invite your team")
    expect(first_run).to_contain_text("Create the first order")

    nav(manager).get_by_role("link", name="Team").click()
    expect(manager.get_by_role("heading", name="Team · Initrode")).to_be_visible()
    add = manager.locator("section[aria-labelledby=add-heading]")
    add.get_by_label("Username").fill("milton")  # named initrode.milton: its namespace
    add.get_by_label("First name").fill("Milton")
    add.get_by_label("Last name").fill("Waddams")
    add.get_by_label("E-mail").fill("milton@initrode.test")
    add.get_by_label("Role").select_option("Staff")
    add.get_by_role("button", name="Add user").click()
    message = manager.locator("#messages .alert-success")
    expect(message).to_contain_text("initrode.milton was added")
    staff_link = LINK.search(message.inner_text()).group(1)
    row = manager.locator("tr[data-username='initrode.milton']")
    expect(row).to_contain_text("milton@initrode.test")
    expect(row).to_contain_text("never")

    staff = session.new_page()
    set_password(staff, staff_link, "Red-stapler-mine-2026")
    log_in(staff, "initrode.milton", "Red-stapler-mine-2026")
    expect(staff.get_by_test_id("nav-identity")).to_contain_text("Staff")
    expect(nav(staff).get_by_role("link", name="Team")).to_have_count(0)
    expect(staff.get_by_test_id("first-run")).to_contain_text("Create the first order")

    # The manager sees milton's first login, and the audit log says who added whom.
    manager.reload()
    expect(manager.locator("tr[data-username='initrode.milton']")).not_to_contain_text("never")
    manager.goto("/audit/?event_type=UserAdded")
    milton_added = manager.get_by_text("user initrode.milton")
    added = manager.locator("#audit-table tbody tr", has=milton_added)
    expect(added).to_contain_text("lumbergh")


# Measures, for each role dropdown on the page, the text width its longest choice needs and the
# width the dropdown has for text (inside its padding, which holds the arrow).
ROLE_WIDTHS = """
() => [...document.querySelectorAll('[data-testid=team-table] select')].map((select) => {
  const style = getComputedStyle(select);
  const probe = document.createElement('span');
  probe.style.font = style.font;
  probe.style.position = 'absolute';
  probe.style.whiteSpace = 'nowrap';
  document.body.appendChild(probe);
  const needed = Math.max(...[...select.options].map((o) => { probe.textContent = o.text;
                                                            return probe.offsetWidth; }));
  probe.remove();
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {needed, room};
})
"""


def test_the_role_dropdowns_show_their_whole_choice_at_1280_px(session):
    page = session.page_as("acme.manager")  # the viewport is 1280 px wide (conftest)
    page.goto("/team/")
    expect(page.get_by_test_id("team-table")).to_be_visible()

    widths = page.evaluate(ROLE_WIDTHS)

    assert widths
    assert all(w["room"] >= w["needed"] for w in widths), widths
