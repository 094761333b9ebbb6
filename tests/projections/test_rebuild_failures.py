"""A rebuild that fails or is interrupted half-way leaves the live read models as they were."""

import pytest

from dashboard.projectors import DashboardProjection
from projections import engine
from projections.models import OrderSummary
from tests import factories

from .read_models import run, snapshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


class Injected(Exception):
    pass


@pytest.fixture
def history(acme, globex):
    for state in ("delivered", "shipped", "on_hold", "submitted", "cancelled", "draft"):
        factories.order_in_state(state, acme)
    factories.order_in_state("approved", globex)


@pytest.fixture
def rebuilt_rows_are_marked(monkeypatch):
    """Rows built aside get a note the live rows lack: a swap that went through would show it."""
    build_aside = engine.build_aside

    def build_and_mark(*args, **kwargs):
        done = build_aside(*args, **kwargs)
        OrderSummary.objects.using(engine.SCRATCH_ALIAS).update(notes="built aside")
        return done

    monkeypatch.setattr(engine, "build_aside", build_and_mark)


def fail_on_call(number: int, original, error: type[BaseException]):
    """`original`, except that its `number`-th call raises `error`."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == number:
            raise error("injected")
        return original(*args, **kwargs)

    wrapper.calls = calls
    return wrapper


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("error", [Injected, KeyboardInterrupt])
def test_a_projector_failing_on_the_second_batch_leaves_the_live_rows_intact(
    monkeypatch, error, scratch_files
):
    before = snapshot()
    apply = fail_on_call(2, DashboardProjection.apply, error)
    monkeypatch.setattr(DashboardProjection, "apply", apply)

    with pytest.raises(error):
        run("rebuild_projections", batch_size=4)

    assert len(apply.calls) == 2  # it did fail half-way through the log
    monkeypatch.undo()
    assert snapshot() == before
    assert run("verify_projections") == "OK\n"
    assert scratch_files.created and scratch_files.left_behind() == []


@pytest.mark.usefixtures("history", "rebuilt_rows_are_marked")
@pytest.mark.parametrize("error", [Injected, KeyboardInterrupt])
def test_a_failure_inside_the_swap_rolls_the_swap_back(monkeypatch, error, scratch_files):
    before = snapshot()
    # `_set_checkpoints` runs in the swap transaction, after the tables were emptied and refilled.
    set_checkpoints = fail_on_call(1, engine._set_checkpoints, error)
    monkeypatch.setattr(engine, "_set_checkpoints", set_checkpoints)

    with pytest.raises(error):
        run("rebuild_projections")

    assert len(set_checkpoints.calls) == 1
    monkeypatch.undo()
    assert snapshot() == before
    assert run("verify_projections") == "OK\n"
    assert scratch_files.created and scratch_files.left_behind() == []


@pytest.mark.usefixtures("history", "rebuilt_rows_are_marked")
def test_a_rebuild_after_a_failed_one_swaps_in_its_rows(monkeypatch, scratch_files):
    set_checkpoints = fail_on_call(1, engine._set_checkpoints, Injected)  # the first call only
    monkeypatch.setattr(engine, "_set_checkpoints", set_checkpoints)
    with pytest.raises(Injected):
        run("rebuild_projections")
    assert not OrderSummary.objects.filter(notes="built aside").exists()

    output = run("rebuild_projections")  # the first one's scratch database is detached and gone

    assert output.startswith("Rebuilt ")
    assert set(OrderSummary.objects.values_list("notes", flat=True)) == {"built aside"}
    assert len(scratch_files.created) == 2
    assert scratch_files.left_behind() == []


@pytest.mark.usefixtures("history")
def test_a_verify_that_fails_half_way_leaves_no_scratch_file_and_changes_nothing(
    monkeypatch, scratch_files
):
    before = snapshot()
    monkeypatch.setattr(
        DashboardProjection, "apply", fail_on_call(2, DashboardProjection.apply, Injected)
    )

    with pytest.raises(Injected):
        run("verify_projections", batch_size=4)

    assert snapshot() == before
    assert scratch_files.created and scratch_files.left_behind() == []
