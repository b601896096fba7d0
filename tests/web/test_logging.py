"""Logs carry no personal data: not from query strings, nor from a failed statement."""

import logging

import pytest
from sqlalchemy import insert

from equipment.models import ServiceUser
from equipment.web.access import public
from equipment.web.database import get_db
from equipment.web.logs import DropQueryStrings


def test_query_strings_are_dropped_from_request_lines():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("127.0.0.1", "GET /api/v1/orders?name=Colin+Squirrell&nhs=9997371275 HTTP/1.1", "200"),
        None,
    )
    DropQueryStrings().filter(record)
    line = record.getMessage()
    assert "Squirrell" not in line and "9997371275" not in line
    assert "GET /api/v1/orders?…" in line


def test_werkzeug_logger_has_the_filter(app):
    assert any(isinstance(f, DropQueryStrings) for f in logging.getLogger("werkzeug").filters)


PERSONAL = "Marigold Featherstonehaugh, key under the blue pot"


@pytest.mark.parametrize("path", ["/api/v1/test-failed-insert", "/test-failed-insert"])
def test_a_failed_insert_logs_neither_parameters_nor_the_row(app, client, caplog, path):
    """An IntegrityError on a row holding free text: SQLite would echo the parameters, and
    PostgreSQL quotes the failing row in its DETAIL; neither reaches the log."""

    @public
    def failing_insert():
        # No address, district or location: NOT NULL fails, with the personal text in the row.
        get_db().execute(insert(ServiceUser.__table__).values(name=PERSONAL, access_notes=PERSONAL, postcode="IP4 1AA"))
        return "not reached"

    app.add_url_rule(path, "failing_insert", failing_insert)
    with caplog.at_level(logging.INFO):
        response = client.get(path)
    assert response.status_code == 500
    logged = caplog.text
    assert "IntegrityError" in logged and "service_users" in logged  # the failure itself is logged
    assert "Traceback" in logged and "failing_insert" in logged  # with where it happened
    assert "Marigold" not in logged and "blue pot" not in logged
