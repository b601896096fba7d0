"""Importing service users: all rows or none, and every bad row named by its line."""

from sqlalchemy import func
from sqlmodel import select

from equipment.models import AuditEvent, ServiceUser
from equipment.people.imports import ImportRejected, import_service_users
from equipment.places.geocoding import GeocoderSettings

HEADER = "name,address,postcode,nhs_number,phone,access_notes\n"
GOOD = [
    "Ada Lovelace,1 Ship Lane Ipswich,IP4 2QJ,9434765919,01632 960001,Key safe\n",
    "Alan Turing,2 Ship Lane Ipswich,IP4 2QT,,,\n",
]


def people(db) -> int:
    return db.exec(select(func.count()).select_from(ServiceUser)).one()


def test_good_file_is_imported_in_one_go(db, make):
    make.district("IP4")
    result = import_service_users(db, HEADER + "".join(GOOD), geocoder=GeocoderSettings(), user_id=None)
    assert (result.rows, result.people) == (2, 2)
    assert people(db) == 2
    ada = db.exec(select(ServiceUser).where(ServiceUser.name == "Ada Lovelace")).one()
    assert (ada.postcode, ada.district, ada.location_source) == ("IP4 2QJ", "IP4", "district_centroid")
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "imported")).first() is not None


def test_bad_rows_reject_the_file_with_line_numbers_and_write_nothing(db, make):
    make.district("IP4")
    bad = [
        "Grace Hopper,3 Ship Lane,NOT A POSTCODE,,,\n",  # line 4
        "Edsger Dijkstra,4 Ship Lane,IP4 2QX,1234567890,,\n",  # line 5: bad check digit
        ",5 Ship Lane,IP4 2QY,,,\n",  # line 6: no name
        "Barbara Liskov,6 Ship Lane,SW1A 1AA,,,\n",  # line 7: outside the service area
    ]
    try:
        import_service_users(db, HEADER + "".join(GOOD + bad), geocoder=GeocoderSettings(), user_id=None)
    except ImportRejected as exc:
        lines = [p.split(":")[0] for p in exc.problems]
        assert lines == ["line 4", "line 5", "line 6", "line 7"]
        assert "postcode" in exc.problems[0] and "nhs_number" in exc.problems[1]
        assert exc.status == 422 and exc.field == "file"
    else:
        raise AssertionError("a file with bad rows must be rejected")
    assert people(db) == 0


def test_missing_columns_and_empty_files(db, make):
    make.district("IP4")
    for text, expected in [("name,postcode\nX,IP4 2QJ\n", "address"), (HEADER, "no rows")]:
        try:
            import_service_users(db, text, geocoder=GeocoderSettings(), user_id=None)
        except ImportRejected as exc:
            assert expected in exc.problems[0]
        else:
            raise AssertionError(text)
    assert people(db) == 0


def test_cli_import(app, make, tmp_path, db):
    make.district("IP4")
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "".join(GOOD))
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD[0] + "Grace Hopper,3 Ship Lane,XX,,,\n")
    runner = app.test_cli_runner()
    rejected = runner.invoke(args=["import", "service-users", str(bad)])
    assert rejected.exit_code == 1
    assert "line 3: postcode" in rejected.output and "nothing was imported" in rejected.output
    assert people(db) == 0
    db.commit()
    imported = runner.invoke(args=["import", "service-users", str(good)])
    assert imported.exit_code == 0 and "Imported 2 rows" in imported.output
    assert people(db) == 2
