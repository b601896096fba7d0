"""Importing service users from a CSV file (for example the previous provider's records):
every row is checked, and one bad row rejects the whole file with line numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from equipment import audit
from equipment.db import use_case
from equipment.errors import DomainError, Invalid
from equipment.people.service_users import PersonDetails, find_or_create
from equipment.places.geocoding import GeocoderSettings, look_up_ahead

REQUIRED_COLUMNS = ("name", "address", "postcode")
OPTIONAL_COLUMNS = ("nhs_number", "phone", "lat", "lon", "access_notes", "safety_alerts")


class ImportRejected(Invalid):
    """The file was refused; `problems` lists each bad row as "line N: field: message"."""

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        super().__init__(f"{len(problems)} problem(s), nothing imported: {shown}", field="file")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    rows: int
    people: int  # distinct people the rows name (found or created)


def import_service_users(
    session: Session, csv_text: str, *, geocoder: GeocoderSettings, user_id: int | None
) -> ImportResult:
    """Find or create a service user for every row, in one transaction, or nothing at all.

    The addresses are geocoded first, outside that transaction."""
    rows = csv.DictReader(io.StringIO(csv_text))
    wanted = [(r.get("address") or "", r.get("postcode") or "") for r in rows if not (r.get("lat") or "").strip()]
    look_up_ahead(session, wanted, geocoder)
    return _import(session, csv_text, geocoder=geocoder, user_id=user_id)


@use_case
def _import(session: Session, csv_text: str, *, geocoder: GeocoderSettings, user_id: int | None) -> ImportResult:
    reader = csv.DictReader(io.StringIO(csv_text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([f"line 1: the header lacks the column(s) {', '.join(missing)}"])
    problems: list[str] = []
    rows = 0
    people_ids: set[int] = set()
    for row in reader:
        rows += 1
        line = reader.line_num
        try:
            person = find_or_create(session, _details(row, line), geocoder=geocoder, user_id=user_id, field_prefix="")
            people_ids.add(person.id)
        except DomainError as exc:
            problems.append(f"line {line}: {exc.field + ': ' if exc.field else ''}{exc.detail}")
        except IntegrityError:
            problems.append(f"line {line}: clashes with a person already recorded")
            break
    if rows == 0:
        problems.append("line 2: the file has no rows")
    if problems:
        raise ImportRejected(problems)
    audit.record(
        session, user_id=user_id, action="imported", entity="service_users", entity_id=rows, detail=f"{rows} rows"
    )
    return ImportResult(rows=rows, people=len(people_ids))


def _details(row: dict[str, str | None], line: int) -> PersonDetails:
    def text(column: str) -> str:
        return (row.get(column) or "").strip()

    coordinates = []
    for column in ("lat", "lon"):
        value = text(column)
        try:
            coordinates.append(float(value) if value else None)
        except ValueError as exc:
            raise Invalid(f"{value!r} is not a number", field=column) from exc
    return PersonDetails(
        name=text("name"),
        address=text("address"),
        postcode=text("postcode"),
        nhs_number=text("nhs_number") or None,
        phone=text("phone"),
        lat=coordinates[0],
        lon=coordinates[1],
        access_notes=text("access_notes"),
        safety_alerts=text("safety_alerts"),
    )
