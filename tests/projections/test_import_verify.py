"""After `import_orders` the log verifies and the read models equal a rebuild from the log."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests.orders.import_files import generate

from .read_models import run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


def test_verify_events_and_projections_are_ok_after_an_import(acme, globex, tmp_path):
    files = generate(tmp_path, 60)
    out = io.StringIO()
    with pytest.raises(CommandError) as rejected:  # the generated files hold refusals
        call_command(
            "import_orders",
            "--company",
            "acme",
            "--timezone",
            "Europe/Berlin",
            str(files.orders),
            str(files.lines),
            stdout=out,
        )
    assert rejected.value.returncode == 2
    assert f"imported {len(files.valid)}," in out.getvalue()
    assert "OK" in run("verify_events", "--no-record")
    assert run("verify_projections") == "OK\n"
