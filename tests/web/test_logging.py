"""Request logs carry no personal data from query strings."""

import logging

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
