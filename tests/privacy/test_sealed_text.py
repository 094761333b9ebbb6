"""Sealed personal text opens back to exactly what was written, whatever characters it holds:
opening takes a sealed plain string as it is (no JSON decoder) and decodes anything else."""

from __future__ import annotations

import pytest

from events import sealing
from events.models import Event
from projections.engine import rebuild
from projections.models import OrderSummary
from projections.registry import all_projections

from .test_erasure import place_for, summary_rows

AWKWARD_TEXTS = [
    'Zoë "the Quote" O\'Brien',  # quotes: escaped inside the sealed JSON
    "C:\\Users\\back\\slash",
    "line one\nline two\ttabbed",
    "Straße 5 · 東京都 · 🚚",
    "separator\u2028paragraph\u2029end",  # left unescaped by ensure_ascii=False
    "a </script> & <b>",
]


@pytest.mark.django_db
def test_sealed_notes_of_any_characters_open_to_what_was_written(staff):
    for text in AWKWARD_TEXTS:
        place_for(staff, notes=text)

    stored = Event.objects.filter(event_type="OrderPlaced").order_by("position")
    assert all(sealing.is_sealed(event.payload["details"]["notes"]) for event in stored)
    assert [event.decoded().details.notes for event in stored] == AWKWARD_TEXTS


def test_a_rebuild_reads_every_awkward_text_back_exactly(rebuildable_db, staff):
    for text in AWKWARD_TEXTS:
        place_for(staff, name=text, notes=text)
    live = summary_rows()
    assert sorted(row["notes"] for row in live) == sorted(AWKWARD_TEXTS)

    OrderSummary.objects.all().delete()
    rebuild(all_projections())

    assert summary_rows() == live
