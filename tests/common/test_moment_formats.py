"""`{% moment %}` writes digit-only formats ("Y-m-d H:i") itself and leaves the rest to
Django's formatter: both must print the same, in every language and for any instant."""

import datetime as dt
import zoneinfo

from django.template import defaultfilters
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from common.templatetags.local_time import _numeric_format, moment

FORMATS = ["Y-m-d", "Y-m-d H:i", "H:i", "d.m.Y H:i:s", "Y/m/d"]


@settings(max_examples=200, deadline=None)
@given(
    instant=st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.just(dt.UTC),
    ),
    fmt=st.sampled_from(FORMATS),
)
def test_digit_formats_print_what_django_prints(instant, fmt):
    assert _numeric_format(fmt).format(instant) == defaultfilters.date(instant, fmt)


def test_formats_with_names_or_escapes_go_to_django():
    for fmt in ("j F Y", "D, d M Y", r"Y \a\t H:i", "N j, Y", "Y-m-d H:i T", "{Y}"):
        assert _numeric_format(fmt) is None


def test_a_moment_in_german_and_english_reads_the_same_digits_and_zone():
    instant = dt.datetime(2026, 3, 29, 1, 15, tzinfo=dt.UTC)
    with translation.override("de"), dt_zone("Europe/Berlin"):
        html = moment(instant, "Y-m-d H:i")
    assert '<time datetime="2026-03-29T03:15:00+02:00" title="UTC+02:00 Europe/Berlin">' in html
    assert "2026-03-29 03:15 CEST" in html
    with translation.override("en"), dt_zone("Europe/Berlin"):
        assert moment(instant, "Y-m-d H:i") == html
        assert "(UTC+02:00)" in moment(instant, "Y-m-d H:i", offset=True)
        assert 'title="2026-03-29 03:15 CEST (UTC+02:00 Europe/Berlin)"' in moment(instant, "Y-m-d")


def dt_zone(name):
    from django.utils import timezone

    return timezone.override(zoneinfo.ZoneInfo(name))
