"""`{% moment %}` writes digit-only formats ("Y-m-d H:i") itself and leaves the rest to
Django's formatter: both must print the same, in every language and for any instant."""

import datetime as dt
import zoneinfo

from django.template import defaultfilters
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from common.templatetags import local_time
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


@settings(max_examples=100, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1, 1, 2), max_value=dt.date(9999, 12, 30)),
    fmt=st.sampled_from([*FORMATS, "", "DATE_FORMAT", "j F Y"]),
    language=st.sampled_from(["en", "de"]),
)
def test_the_date_filter_prints_what_django_prints_for_dates_and_instants(day, fmt, language):
    instant = dt.datetime.combine(day, dt.time(13, 5, 9), tzinfo=dt.UTC)
    with translation.override(language):
        assert local_time.date(instant, fmt) == defaultfilters.date(instant, fmt)
        if not {"H", "i", "s"} & set(fmt):  # Django refuses a time of day for a date
            assert local_time.date(day, fmt) == defaultfilters.date(day, fmt)


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


def test_the_repeated_hour_of_a_dst_change_names_its_zone_in_formats_ending_with_it():
    """The hour a clock goes back happens twice: only the zone tells the two apart (the ops
    desk's "last seen", "Y-m-d H:i:s T"). Django's formatter prints no zone for such a time."""
    cases = [
        ("Europe/Berlin", dt.datetime(2026, 10, 25, 0, 30), "02:30:00 CEST"),
        ("Europe/Berlin", dt.datetime(2026, 10, 25, 1, 30), "02:30:00 CET"),
        ("America/New_York", dt.datetime(2026, 11, 1, 5, 30), "01:30:00 EDT"),
        ("America/New_York", dt.datetime(2026, 11, 1, 6, 30), "01:30:00 EST"),
    ]
    for zone, utc, shown in cases:
        instant = utc.replace(tzinfo=dt.UTC)
        for lang in ("en", "de"):
            with translation.override(lang), dt_zone(zone):
                assert f">{shown}</time>" in moment(instant, "H:i:s T")
                assert f">{instant.astimezone(zoneinfo.ZoneInfo(zone)):%Y-%m-%d} {shown}<" in (
                    moment(instant, "Y-m-d H:i:s T")
                )
