"""The order form <-> the order's request body: reading the typed rows, naming each problem beside
its field in plain words, and checking every field at once (so a person fixes them in one go)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from equipment.errors import DomainError
from equipment.people import nhs
from equipment.places.postcodes import normalise as normalise_postcode
from equipment.stock import catalogue
from equipment.web.form_checks import form_errors

SLOTS = {"am": ("08:00", "13:00"), "pm": ("12:00", "17:00"), "day": ("08:00", "17:00")}
BLANK_LINES = 3  # empty rows offered on the form, however many were sent back empty
PERSON_FIELDS = ("name", "address", "postcode", "nhs_number", "phone", "access_notes", "safety_alerts")
# What a form field is called in a sentence ("Enter the person's name").
FIELD_WORDS = {
    "su_name": "the person's name",
    "su_address": "the address",
    "su_postcode": "the postcode",
    "su_nhs_number": "the NHS number",
    "response_class": "a response class",
    "kind": "the kind of order",
    "prescriber_id": "the prescriber",
}
DATE_FIELDS = ("slot_date",)
MOMENT_FIELDS = ("received_at",)


def empty_line() -> dict[str, str]:
    return {"sku": "", "serial": "", "quantity": ""}


def with_blank_rows(typed: list[dict], blanks: int = BLANK_LINES) -> list[dict]:
    """The rows typed that hold something, then empty ones up to `blanks` rows in all (always one
    at least): a failed submit never grows the empty rows it sent back."""
    kept = [row for row in typed if any(value.strip() for value in row.values())]
    return kept + [empty_line() for _ in range(max(1, blanks - len(kept)))]


def form_lines(form: Any) -> tuple[list[dict], list[int], list[dict]]:
    """(lines for the body, the form row of each, every row as typed) from lines-N-* fields."""
    rows = sorted({int(key.split("-")[1]) for key in form if key.startswith("lines-") and key.split("-")[1].isdigit()})
    lines, row_of, typed = [], [], []
    for n in rows:
        sku = form.get(f"lines-{n}-sku", "").strip()
        serial = form.get(f"lines-{n}-serial", "").strip()
        quantity = form.get(f"lines-{n}-quantity", "").strip()
        typed.append({"sku": sku, "serial": serial, "quantity": quantity})
        if not (sku or serial):
            continue
        line: dict[str, Any] = {"quantity": quantity or "1"}
        if sku:
            line["sku"] = sku.upper()
        if serial:
            line["serial"] = serial
        lines.append(line)
        row_of.append(len(typed) - 1)
    return lines, row_of, typed


def form_slot(form: Any) -> dict | None:
    day = form.get("slot_date", "").strip()
    window = form.get("slot_window", "")
    if not day or not window:
        return None
    start, end = SLOTS.get(window, (form.get("slot_start", "").strip(), form.get("slot_end", "").strip()))
    return {"start": f"{day}T{start or '00:00'}", "end": f"{day}T{end or '00:00'}"}


def contact_choice(form: Any) -> dict[str, Any]:
    """The person's e-mail and how they want to hear when the van is coming; a blank choice
    leaves what their record says (None), so taking an order never withdraws consent by accident."""
    consent = form.get("su_contact_consent", "").strip()
    return {
        "email": form.get("su_email", "").strip(),
        "contact_by": form.get("su_contact_by", "").strip() or None,
        "contact_consent": {"yes": True, "no": False}.get(consent, consent or None),
    }


def person_body(form: Any) -> dict[str, Any]:
    """The order's `service_user` from the form's su_* fields."""
    person: dict[str, Any] = {key: form.get(f"su_{key}", "").strip() for key in PERSON_FIELDS}
    person["nhs_number"] = person["nhs_number"] or None
    return person | contact_choice(form)


def order_body(form: Any) -> tuple[dict, list[int], list[dict]]:
    """The request body a new-order form makes, the form row of each line, and the rows typed."""
    lines, row_of, typed = form_lines(form)
    person = person_body(form)
    body = {
        "kind": form.get("kind", "delivery"),
        "response_class": form.get("response_class", ""),
        "service_user": person,
        "lines": lines,
        "slot": form_slot(form),
        "notes": form.get("notes", "").strip(),
    }
    prescriber = form.get("prescriber_id", "").strip()
    if prescriber:
        body["prescriber_id"] = prescriber
    if form.get("received_at", "").strip():
        body["received_at"] = form["received_at"].strip()
    return body, row_of, typed


def field_for_form(field: str, row_of: list[int]) -> str:
    """`service_user.nhs_number` -> `su_nhs_number`; `lines.0.sku` -> `lines-<row>-sku`."""
    parts = field.split(".")
    if parts[0] == "service_user" and len(parts) > 1:
        return "su_" + parts[1]
    if parts[0] == "lines" and len(parts) > 2 and parts[1].isdigit():
        row = row_of[int(parts[1])] if int(parts[1]) < len(row_of) else int(parts[1])
        return f"lines-{row}-{parts[2]}"
    if parts[0] == "slot":
        return "slot"
    return parts[0]


def plain_message(err: dict, field: str) -> str:
    """A pydantic error in words a coordinator reads at a glance."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    what = FIELD_WORDS.get(field, "this")
    if field == "lines" and kind == "too_short":
        return "Add at least one item."
    if kind in ("missing", "string_too_short"):
        return f"Enter {what}"
    if kind == "string_too_long":
        return f"This is too long: at most {ctx.get('max_length')} characters"
    if kind == "literal_error":
        return f"Choose {what} from the list" if what != "this" else "Choose one of the options listed"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Give a whole number, e.g. 1" if field.endswith("quantity") else f"Choose {what} from the list"
    if kind == "greater_than_equal":
        return f"Give a number of at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"Give a number of at most {ctx.get('le')}"
    if kind.startswith(("datetime", "date")):
        return "Give a date and a time"
    if kind == "value_error":
        text = str(err.get("msg", "")).removeprefix("Value error, ")
        return ("This date " + text) if text.startswith("is too far") else text[:1].upper() + text[1:]
    return "Check this"


def validation_errors(exc: ValidationError, row_of: list[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        location = [str(p) for p in err.get("loc", ()) if not str(p).startswith(("function-", "nullable"))]
        location = [p for p in location if not p.startswith(("literal[", "constrained-", "is-instance"))]
        field = field_for_form(".".join(location), row_of)
        errors.setdefault(field, plain_message(err, field))
    return errors


def whole_form_errors(session: Any, form: Any, body: dict, row_of: list[int]) -> dict[str, str]:
    """The checks a field can have on its own (NUL characters, dates, postcode, NHS number,
    catalogue items), so every message shows at once rather than one per submit."""
    errors = form_errors(form, days=DATE_FIELDS, moments=MOMENT_FIELDS)
    if "slot_date" in errors:
        errors["slot"] = errors.pop("slot_date")
    person = body["service_user"]
    checks = [
        ("su_postcode", lambda: person["postcode"] and normalise_postcode(person["postcode"])),
        ("su_nhs_number", lambda: person["nhs_number"] and nhs.normalise(person["nhs_number"])),
    ]
    for n, line in enumerate(body["lines"]):
        if line.get("sku"):
            checks.append((f"lines-{row_of[n]}-sku", lambda sku=line["sku"]: catalogue.item_by_sku(session, sku)))
    for field, check in checks:
        if field in errors:
            continue
        try:
            check()
        except DomainError as exc:
            errors[field] = exc.detail[:1].upper() + exc.detail[1:]
    return errors
