"""What the projection commands share: the projections named on the command line and the
replay's sizes, checked before any work (a batch of 0 read nothing and reported every live row
as differing)."""

from django.core.management.base import CommandError

from projections.registry import get_projections


def chosen_projections(names, *, batch_size: int, processes: int | None = None) -> list:
    """The projections `names` (every one when empty); CommandError for an unknown name or a
    batch size or number of processes below 1."""
    try:
        projections = get_projections(names)
    except KeyError as error:
        raise CommandError(error.args[0]) from None
    if batch_size < 1:
        raise CommandError("--batch-size must be at least 1.")
    if processes is not None and processes < 1:
        raise CommandError("--processes must be at least 1.")
    return projections


def add_processes_option(parser) -> None:
    """`--processes` of the commands that replay the log (rebuild, verify)."""
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="Processes replaying the log side by side (default: REBUILD_PROCESSES, "
        "at most one per 25,000 events; 1: this process alone).",
    )
