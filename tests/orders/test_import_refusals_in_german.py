"""Every refusal of an import reads in the reader's language: also those made of a validation's
message with values in it (a control character, a date outside the limits, a field too long or
missing, a line's quantity), which used to stay English on the German page. The job keeps the
English facts; the page translates them when it shows them."""

from __future__ import annotations

import re

import pytest

from orders.models import ImportJob
from tests.factories import log_in
from tests.orders.test_import_upload_page import upload, work

pytestmark = pytest.mark.django_db

ORDERS = (
    "reference,customer_name,placed_at\n"
    "CTRL-1,Bad\x07Name,2025-03-01T09:00:00Z\n"
    "DATE-1,Hooli,9999-12-31T23:59:59\n"
    "UTC-1,Hooli,9999-12-30T23:00:00-14:00\n"
    f"LONG-1,{'A' * 201},2025-03-01T09:00:00Z\n"
    "EMPTY-1,,2025-03-01T09:00:00Z\n"
    "QTY-1,Initech,2025-03-01T09:00:00Z\n"
)
LINES = "reference,sku,description,quantity,unit_price\n" + "".join(
    f"{reference},CUP-1,Cup,{quantity},3.50\n"
    for reference, quantity in [
        ("CTRL-1", 1),
        ("DATE-1", 1),
        ("UTC-1", 1),
        ("LONG-1", 1),
        ("EMPTY-1", 1),
        ("QTY-1", 0),
    ]
)
# reference -> (German on the page, English stored in the job)
REASONS = {
    "CTRL-1": (
        "<code>customer_name</code>: Kundenname: Entfernen Sie das Steuerzeichen U+0007: Es ist "
        "kein Text (erlaubt sind nur Tabulatoren und Zeilenumbrüche).",
        "customer_name: Customer name: Remove the control character U+0007: it is not text "
        "(only tabs and line breaks are allowed).",
    ),
    "DATE-1": (
        "<code>placed_at</code> &#x27;9999-12-31T23:59:59&#x27;: Geben Sie ein Datum zwischen "
        "0001-01-02 und 9999-12-30 ein.",
        "placed_at '9999-12-31T23:59:59': Enter a date between 0001-01-02 and 9999-12-30.",
    ),
    "UTC-1": (
        "<code>placed_at</code> &#x27;9999-12-30T23:00:00-14:00&#x27;: Die Zeit "
        "9999-12-30T23:00:00-14:00 kann nicht erfasst werden: Ereigniszeiten müssen zwischen "
        "0001-01-02 und 9999-12-30 (UTC) liegen.",
        "placed_at '9999-12-30T23:00:00-14:00': The time 9999-12-30T23:00:00-14:00 cannot be "
        "recorded: event times must fall between 0001-01-02 and 9999-12-30 (UTC).",
    ),
    "LONG-1": (
        "<code>customer_name</code>: Kundenname ist zu lang (201 Zeichen; höchstens 200).",
        "customer_name: Customer name is too long (201 characters; at most 200).",
    ),
    "EMPTY-1": (
        "<code>customer_name</code>: Kundenname ist erforderlich.",
        "customer_name: Customer name is required.",
    ),
    "QTY-1": (
        "<code>lines.csv</code> Zeile 7, <code>quantity</code>: Die Menge muss zwischen 1 und "
        "1,000,000 liegen.",
        "lines.csv row 7, quantity: Quantity must be between 1 and 1,000,000.",
    ),
}


def test_each_kind_of_refusal_reads_in_german_and_is_stored_in_english(client, acme, manager):
    log_in(client, manager)
    job_url = upload(client, ORDERS, LINES)["Location"]
    work(acme)  # the dry run: every order is refused

    german = client.get(job_url, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    shown = " ".join(german.split())
    for reference, (in_german, _) in REASONS.items():
        assert in_german in shown, reference
    refusals = ImportJob.objects.get().dry_run["refusals"]
    assert {r["reference"]: r["reason"] for r in refusals} == {
        reference: in_english for reference, (_, in_english) in REASONS.items()
    }
    main = german.split("<main")[-1]
    assert 'lang="en"' not in main
    assert not re.search(r"\b(is required|is too long|Enter a date|cannot be recorded)\b", main)
