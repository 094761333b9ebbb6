"""Security headers on every page, markup that a strict CSP can run, and the request id.

The CSP allows scripts and styles from 'self' only, so any inline <script> body, on*= handler,
style="..." attribute, <style> element, javascript: URL or htmx hx-on/hx-vars attribute (htmx
evaluates those) would be blocked in the browser and break the page. Every page is therefore
parsed and checked for them, including htmx partials and forms re-rendered with errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.models import Role
from events.models import Event
from orders.models import Order
from tests import factories

from .conftest import order_in_state, order_post_data

HTMX = {"HTTP_HX_REQUEST": "true"}
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


# --- the checks ---------------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_security_headers(response) -> None:
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    sources = [source for values in csp.values() for source in values]
    for weak in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:"):
        assert weak not in sources, f"CSP allows {weak}: {response['Content-Security-Policy']}"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert GENERATED_ID.match(response["X-Request-ID"])


class InlineCodeFinder(HTMLParser):
    """Collects everything in a page that a `script-src 'self'; style-src 'self'` CSP blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.script_sources: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler attribute")
            elif name == "style":
                self.problems.append(f'<{tag} style="{value}"> style attribute')
            elif name.startswith("hx-on") or name == "hx-vars":
                self.problems.append(f"<{tag} {name}=...> htmx evaluates this as code")
            elif name in ("hx-vals", "hx-headers") and (value or "").lstrip().startswith("js:"):
                self.problems.append(f"<{tag} {name}=js:...> htmx evaluates this as code")
            elif (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}> javascript: URL")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            src = dict(attrs).get("src")
            if not src:
                self.problems.append("<script> without src")
            else:
                self.script_sources.append(src)
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script body: {data.strip()[:60]!r}")


def inline_code_in(html: str) -> InlineCodeFinder:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder


# --- the pages ----------------------------------------------------------------------------


class Site:
    """Acme's users, Acme orders made when a page first needs them, and clients to open pages."""

    def __init__(self, acme):
        self.staff = factories.user(Role.STAFF, acme)
        self.manager = factories.user(Role.MANAGER, acme)
        self.auditor = factories.user(Role.AUDITOR, acme)

    @cached_property
    def draft(self) -> Order:
        return order_in_state("draft", self.staff, self.manager)

    @cached_property
    def submitted(self) -> Order:
        return order_in_state("submitted", self.staff, self.manager)

    def client(self, user=None) -> Client:
        client = Client(REMOTE_ADDR="203.0.113.9")
        if user is not None:
            factories.log_in(client, user)
        return client

    def url(self, order, suffix: str = "") -> str:
        return f"/orders/{order.id}/{suffix}"


def _lockout(site: Site):
    client = site.client()
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"username": site.staff.username, "password": "x"}
        )
    return response


# name -> (how to get it, expected status, is it an htmx partial)
PAGES: dict[str, tuple[Callable[[Site], object], int, bool]] = {
    "login": (lambda s: s.client().get("/accounts/login/"), 200, False),
    "login with errors": (
        lambda s: s.client().post("/accounts/login/", {"username": "nobody", "password": "x"}),
        200,
        False,
    ),
    "lockout": (_lockout, 429, False),
    "dashboard": (lambda s: s.client(s.staff).get("/"), 200, False),
    "dashboard partial": (lambda s: s.client(s.staff).get("/", **HTMX), 200, True),
    "order list": (lambda s: s.client(s.staff).get("/orders/"), 200, False),
    "order list partial": (
        lambda s: s.client(s.staff).get("/orders/", {"state": "draft"}, **HTMX),
        200,
        True,
    ),
    "order list with filter errors": (
        lambda s: s.client(s.staff).get("/orders/", {"total_min": "abc"}),
        400,
        False,
    ),
    "order list partial with filter errors": (
        lambda s: s.client(s.staff).get("/orders/", {"placed_after": "2026-13-45"}, **HTMX),
        400,
        True,
    ),
    "new order form": (lambda s: s.client(s.staff).get("/orders/new/"), 200, False),
    "new order form with errors": (
        lambda s: s.client(s.staff).post(
            "/orders/new/", order_post_data(customer="", **{"lines-0-unit_price": "abc"})
        ),
        422,
        False,
    ),
    "detail of a draft": (lambda s: s.client(s.staff).get(s.url(s.draft)), 200, False),
    "detail of a submitted order (reason forms)": (
        lambda s: s.client(s.manager).get(s.url(s.submitted)),
        200,
        False,
    ),
    "detail for a read-only role": (
        lambda s: s.client(s.auditor).get(s.url(s.submitted)),
        200,
        False,
    ),
    "edit form": (lambda s: s.client(s.staff).get(s.url(s.draft, "edit/")), 200, False),
    "edit form with errors": (
        lambda s: s.client(s.staff).post(
            s.url(s.draft, "edit/"),
            order_post_data(version=s.draft.version, **{"lines-0-quantity": "-1"}),
        ),
        422,
        False,
    ),
    "edit refused (error page)": (
        lambda s: s.client(s.staff).post(
            s.url(s.submitted, "edit/"), order_post_data(version=s.submitted.version)
        ),
        422,
        False,
    ),
    "transition with errors": (
        lambda s: s.client(s.manager).post(
            s.url(s.submitted, "transitions/reject/"), {"version": s.submitted.version}
        ),
        422,
        False,
    ),
    "transition with errors partial": (
        lambda s: s.client(s.manager).post(
            s.url(s.submitted, "transitions/reject/"), {"version": "abc"}, **HTMX
        ),
        422,
        True,
    ),
    "transition done partial": (
        lambda s: s.client(s.staff).post(
            s.url(s.draft, "transitions/submit/"), {"version": s.draft.version}, **HTMX
        ),
        200,
        True,
    ),
    "note with errors": (
        lambda s: s.client(s.staff).post(
            s.url(s.draft, "notes/"), {"version": s.draft.version, "text": ""}
        ),
        422,
        False,
    ),
    "history": (lambda s: s.client(s.auditor).get(s.url(s.submitted, "history/")), 200, False),
    "history partial": (
        lambda s: s.client(s.auditor).get(
            s.url(s.submitted, "history/"), {"as_of": "2020-01-01T00:00"}, **HTMX
        ),
        200,
        True,
    ),
    "history as of a moment": (
        lambda s: s.client(s.auditor).get(
            s.url(s.submitted, "history/"), {"as_of": "2020-01-01T00:00"}
        ),
        200,
        False,
    ),
    "history with an as_of error": (
        lambda s: s.client(s.auditor).get(s.url(s.submitted, "history/"), {"as_of": "soon"}),
        400,
        False,
    ),
    "history partial with an as_of error": (
        lambda s: s.client(s.auditor).get(
            s.url(s.submitted, "history/"), {"as_of": "2999-01-01T00:00"}, **HTMX
        ),
        400,
        True,
    ),
    "audit log": (lambda s: s.client(s.auditor).get("/audit/"), 200, False),
    "audit log partial": (
        lambda s: s.client(s.auditor).get("/audit/", {"event_type": "OrderPlaced"}, **HTMX),
        200,
        True,
    ),
    "audit log with filter errors": (
        lambda s: s.client(s.auditor).get("/audit/", {"before": "abc"}),
        400,
        False,
    ),
    "password change form": (
        lambda s: s.client(s.staff).get("/accounts/password_change/"),
        200,
        False,
    ),
    "password change with errors": (
        lambda s: s.client(s.staff).post("/accounts/password_change/", {"old_password": "x"}),
        200,
        False,
    ),
    "password reset form": (lambda s: s.client().get("/accounts/password_reset/"), 200, False),
    "password reset sent": (lambda s: s.client().get("/accounts/password_reset/done/"), 200, False),
    "password reset link invalid": (
        lambda s: s.client().get("/accounts/reset/MQ/bad-token/"),
        200,
        False,
    ),
    "forbidden": (lambda s: s.client(s.auditor).get("/orders/new/"), 403, False),
    "not found": (lambda s: s.client(s.staff).get("/orders/no-such-page/"), 404, False),
    "method not allowed": (lambda s: s.client(s.staff).delete("/orders/"), 405, False),
}


@pytest.fixture
def site(acme) -> Site:
    return Site(acme)


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_every_page_sends_the_security_headers(site, page):
    fetch, status, _ = PAGES[page]

    response = fetch(site)

    assert response.status_code == status
    assert_security_headers(response)


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_no_page_contains_code_or_styles_the_csp_would_block(site, page):
    fetch, status, partial = PAGES[page]

    response = fetch(site)
    html = response.content.decode()
    found = inline_code_in(html)

    assert response.status_code == status
    assert found.problems == []
    if partial:
        assert "<html" not in html, "an htmx request got the whole page"
    elif status not in (403, 404, 405):  # Django's own bare error pages have no layout
        assert found.script_sources, "a full page without its scripts"
        assert all(src.startswith("/static/") for src in found.script_sources)


def test_the_inline_code_finder_catches_what_the_csp_blocks():
    # The checker itself must fail on each kind of violation, or the test above proves nothing.
    samples = [
        "<script>alert(1)</script>",
        '<script src="/static/a.js">alert(1)</script>',
        '<a href="#" onclick="go()">x</a>',
        '<img src="x.png" onerror="go()">',
        '<div style="color: red">x</div>',
        "<style>p { color: red }</style>",
        '<a href="javascript:go()">x</a>',
        '<button hx-on:click="go()">x</button>',
        "<div hx-vars=\"{'a': go()}\"></div>",
        '<div hx-vals="js:{a: go()}"></div>',
    ]
    for sample in samples:
        assert inline_code_in(sample).problems, sample
    assert inline_code_in('<script src="/static/js/app.js" defer></script>').problems == []


# --- the request id -----------------------------------------------------------------------


@pytest.mark.django_db
def test_each_response_has_its_own_request_id(site):
    client = site.client(site.staff)

    ids = {client.get("/").headers["X-Request-ID"] for _ in range(3)}

    assert len(ids) == 3
    assert all(GENERATED_ID.match(request_id) for request_id in ids)


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["form post", "htmx post"])
def test_an_event_records_the_request_id_of_the_request_that_appended_it(site, htmx):
    client = site.client(site.staff)

    response = client.post(
        site.url(site.draft, "transitions/submit/"),
        {"version": site.draft.version},
        **(HTMX if htmx else {}),
    )

    assert response.status_code == (200 if htmx else 303)
    event = Event.objects.get(stream_id=site.draft.id, version=site.draft.version + 1)
    assert event.event_type == "OrderSubmitted"
    assert event.metadata["correlation_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_a_sane_request_id_from_the_proxy_is_kept_and_recorded(site):
    client = site.client(site.staff)

    response = client.post(
        site.url(site.draft, "notes/"),
        {"version": site.draft.version, "text": "Called the customer"},
        HTTP_X_REQUEST_ID="nginx-0123456789abcdef",
    )

    assert response["X-Request-ID"] == "nginx-0123456789abcdef"
    event = Event.objects.get(stream_id=site.draft.id, event_type="NoteAdded")
    assert event.metadata["correlation_id"] == "nginx-0123456789abcdef"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forged",
    ["short", "x" * 65, "abc def ghijk", "abcdefgh\r\nSet-Cookie: a=b", "id=1;drop", "ÄÖÜäöüß12"],
)
def test_a_malformed_request_id_is_replaced_not_echoed_or_recorded(site, forged):
    client = site.client(site.staff)

    response = client.post(
        site.url(site.draft, "notes/"),
        {"version": site.draft.version, "text": "Hello"},
        HTTP_X_REQUEST_ID=forged,
    )

    assert response.status_code == 303
    assert GENERATED_ID.match(response["X-Request-ID"])
    event = Event.objects.get(stream_id=site.draft.id, event_type="NoteAdded")
    assert event.metadata["correlation_id"] == response["X-Request-ID"]
