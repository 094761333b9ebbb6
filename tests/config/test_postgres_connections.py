"""PostgreSQL connections outlive server restarts: Django checks a kept connection before reuse."""

import pytest
from django.db import close_old_connections, connection

from tests.vendor import postgres_only

pytestmark = [
    postgres_only("connections to a PostgreSQL server"),
    pytest.mark.django_db(transaction=True),
]


def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    # The server ends this connection, as a restart (or a failover) would.
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()

    close_old_connections()  # what Django runs as each request starts and ends

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
