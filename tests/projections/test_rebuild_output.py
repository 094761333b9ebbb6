"""What rebuild and catch-up print: a progress bar on a terminal, a one-line summary elsewhere."""

import re
from io import StringIO

import pytest

from events import store
from projections.engine import RebuildResult
from projections.progress import ProgressBar
from tests import factories

from .read_models import new_projection, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]

SUMMARY = re.compile(
    r"Rebuilt order_summary, dashboard, customer, sku: "
    r"(?P<events>[\d,]+) events "
    r"in \d+\.\d\ds \([\d,]+ events/s\), "
    r"(?P<processes>1 process|\d+ processes), peak memory [\d,]+ MiB[^,]*(, [\d,]+ MiB per worker)?"
    r", head position (?P<head>\d+)\.\n"
)


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def history(acme):
    for state in ("delivered", "on_hold", "draft"):
        factories.order_in_state(state, acme)
    return store.head_position()


def test_rebuild_off_a_terminal_prints_one_summary_line_with_events_per_second(history):
    output = run("rebuild_projections", batch_size=2)

    match = SUMMARY.fullmatch(output)
    assert match, output
    assert int(match["events"]) == int(match["head"]) == history


def test_rebuild_on_a_terminal_draws_a_progress_bar_then_the_summary(history):
    terminal = Terminal()

    run("rebuild_projections", batch_size=2, stdout=terminal)

    bar, summary = terminal.getvalue().split("\n", 1)
    assert bar.startswith("\rRebuilding [")
    assert f"\rRebuilding [{'#' * 30}] {history}/{history} events" in bar  # the final draw
    assert "ev/s" in bar
    assert SUMMARY.fullmatch(summary), summary


def test_catch_up_off_a_terminal_prints_one_line_and_on_a_terminal_a_bar_too(history):
    new_projection("dashboard")

    output = run("catch_up_projections", "dashboard", batch_size=4)

    assert output == f"dashboard: applied {history} event(s).\n"
    new_projection("dashboard")
    terminal = Terminal()
    run("catch_up_projections", "dashboard", batch_size=4, stdout=terminal)
    bar, summary = terminal.getvalue().split("\n", 1)
    assert bar.startswith("\rdashboard [")
    assert f"{history}/{history} events" in bar
    assert summary == f"dashboard: applied {history} event(s).\n"


def test_the_progress_bar_stays_silent_on_a_stream_that_is_not_a_terminal():
    stream = StringIO()
    bar = ProgressBar(stream, "Rebuilding")

    bar(5, 10)
    bar(10, 10)
    bar.finish()

    assert stream.getvalue() == ""


def test_the_events_per_second_rate_is_events_over_seconds_and_zero_for_no_time():
    assert RebuildResult(events=1000, seconds=4.0, head=1000).rate == 250.0
    assert RebuildResult(events=1000, seconds=0.0, head=1000).rate == 0.0
