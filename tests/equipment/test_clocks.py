"""Response-class clocks: working days, bank holidays, cut-offs, service hours, BST/GMT."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from equipment.models import ResponseClass
from equipment.orders import clocks

LONDON = ZoneInfo("Europe/London")


def rc(counting: str, amount: int, *, cutoff=None, opens=None, closes=None) -> ResponseClass:
    return ResponseClass(
        code="x",
        name="x",
        kind="delivery",
        counting=counting,
        amount=amount,
        cutoff=cutoff,
        service_hours_start=opens,
        service_hours_end=closes,
    )


NEXT_DAY = rc("working_days", 1, cutoff="14:00")
THREE_DAY = rc("working_days", 3)
STANDARD = rc("working_days", 7)
URGENT_COLLECTION = rc("working_days", 2)
EMERGENCY = rc("service_hours", 4, opens="08:00", closes="20:00")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def due_local(rule, *args) -> datetime:
    result = clocks.due_at(rule, local(*args))
    assert result.tzinfo is not None and result.utcoffset().total_seconds() == 0
    return result.astimezone(LONDON)


def test_bank_holidays_2026_from_the_holidays_package():
    assert clocks.is_bank_holiday(date(2026, 4, 3))  # Good Friday
    assert clocks.is_bank_holiday(date(2026, 4, 6))  # Easter Monday
    assert clocks.is_bank_holiday(date(2026, 12, 25))
    assert clocks.is_bank_holiday(date(2026, 12, 28))  # Boxing Day (Saturday) substitute
    assert not clocks.is_working_day(date(2026, 12, 26))
    assert clocks.is_working_day(date(2026, 12, 29))
    assert clocks.is_bank_holiday(date(2027, 12, 27)) and clocks.is_bank_holiday(date(2027, 12, 28))


@pytest.mark.parametrize(
    "received, due",
    [
        ((2026, 11, 23, 10, 0), (2026, 11, 24, 17, 0)),  # Monday morning -> Tuesday 17:00
        ((2026, 11, 23, 13, 59), (2026, 11, 24, 17, 0)),  # just before the cut-off
        ((2026, 11, 23, 14, 0), (2026, 11, 25, 17, 0)),  # at the cut-off: counts from Tuesday
        ((2026, 11, 27, 15, 0), (2026, 12, 1, 17, 0)),  # Friday after cut-off -> counts Monday -> Tuesday
        ((2026, 11, 27, 9, 0), (2026, 11, 30, 17, 0)),  # Friday morning -> Monday
        ((2026, 11, 28, 11, 0), (2026, 12, 1, 17, 0)),  # Saturday counts from Monday -> Tuesday
        ((2026, 11, 29, 23, 0), (2026, 12, 1, 17, 0)),  # Sunday night likewise
        ((2026, 11, 23, 0, 5), (2026, 11, 24, 17, 0)),  # just after midnight on a working day
    ],
)
def test_next_day_with_cutoff_and_weekends(received, due):
    assert due_local(NEXT_DAY, *received) == local(*due)


def test_christmas_2026_with_boxing_day_substitute():
    # Thursday 24 Dec morning: next working day is Tuesday 29 Dec (25, 26, 27, 28 are not).
    assert due_local(NEXT_DAY, 2026, 12, 24, 10, 0) == local(2026, 12, 29, 17, 0)
    # Thursday 24 Dec after cut-off: counts from 29 Dec -> due Wednesday 30 Dec.
    assert due_local(NEXT_DAY, 2026, 12, 24, 15, 0) == local(2026, 12, 30, 17, 0)
    # Christmas Day itself counts from 29 Dec.
    assert due_local(NEXT_DAY, 2026, 12, 25, 9, 0) == local(2026, 12, 30, 17, 0)
    # Three working days from Wednesday 23 Dec: 24, 29, 30.
    assert due_local(THREE_DAY, 2026, 12, 23, 10, 0) == local(2026, 12, 30, 17, 0)
    # Standard (7) from Monday 21 Dec: 22, 23, 24, 29, 30, 31 Dec, 1 Jan is a holiday, 4 Jan.
    assert due_local(STANDARD, 2026, 12, 21, 10, 0) == local(2027, 1, 4, 17, 0)


def test_easter_2026():
    # Thursday 2 April: Good Friday 3rd and Easter Monday 6th are skipped.
    assert due_local(NEXT_DAY, 2026, 4, 2, 10, 0) == local(2026, 4, 7, 17, 0)
    assert due_local(URGENT_COLLECTION, 2026, 4, 2, 10, 0) == local(2026, 4, 8, 17, 0)
    # Received on Good Friday: counts from Tuesday 7th.
    assert due_local(NEXT_DAY, 2026, 4, 3, 10, 0) == local(2026, 4, 8, 17, 0)


def test_substitute_holidays_2027_christmas_on_a_weekend():
    # Christmas Day Sat 25, Boxing Day Sun 26 -> Mon 27 and Tue 28 are the substitutes.
    assert due_local(NEXT_DAY, 2027, 12, 24, 10, 0) == local(2027, 12, 29, 17, 0)


def test_working_day_ends_at_17_without_a_cutoff():
    assert due_local(THREE_DAY, 2026, 11, 23, 16, 59) == local(2026, 11, 26, 17, 0)
    assert due_local(THREE_DAY, 2026, 11, 23, 17, 0) == local(2026, 11, 27, 17, 0)


def test_spring_forward_bst_keeps_17_local():
    # Friday 27 March 2026 in GMT; due Monday 30 March 17:00 BST = 16:00 UTC.
    due = clocks.due_at(NEXT_DAY, datetime(2026, 3, 27, 10, 0, tzinfo=UTC))
    assert due == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)
    assert due.astimezone(LONDON).hour == 17


def test_fall_back_gmt_keeps_17_local():
    # Friday 23 October 2026 in BST; due Monday 26 October 17:00 GMT = 17:00 UTC.
    due = clocks.due_at(NEXT_DAY, datetime(2026, 10, 23, 9, 0, tzinfo=UTC))
    assert due == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "received, due",
    [
        ((2026, 11, 23, 9, 0), (2026, 11, 23, 13, 0)),  # inside service hours
        ((2026, 11, 23, 19, 0), (2026, 11, 24, 11, 0)),  # 1 h today, 3 h tomorrow from 08:00
        ((2026, 11, 23, 21, 0), (2026, 11, 24, 12, 0)),  # after hours: starts at 08:00
        ((2026, 11, 23, 5, 0), (2026, 11, 23, 12, 0)),  # before hours
        ((2026, 11, 28, 10, 0), (2026, 11, 28, 14, 0)),  # Saturday counts: every day
        ((2026, 12, 25, 18, 30), (2026, 12, 26, 10, 30)),  # Christmas Day counts too
        ((2026, 11, 23, 16, 0), (2026, 11, 23, 20, 0)),  # ends exactly at closing
    ],
)
def test_emergency_service_hours(received, due):
    assert due_local(EMERGENCY, *received) == local(*due)


def test_emergency_across_the_clock_changes():
    # Sat 28 March 19:00 GMT: 1 h that evening, 3 h on Sunday 29 (BST) from 08:00 local.
    assert due_local(EMERGENCY, 2026, 3, 28, 19, 0) == local(2026, 3, 29, 11, 0)
    assert clocks.due_at(EMERGENCY, local(2026, 3, 28, 19, 0)) == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    # Sat 24 October 19:00 BST -> Sunday 25 (GMT) 11:00 local = 11:00 UTC.
    assert clocks.due_at(EMERGENCY, local(2026, 10, 24, 19, 0)) == datetime(2026, 10, 25, 11, 0, tzinfo=UTC)
    # Received in the night of the change itself, 01:30 GMT Sunday 25 Oct (the second 01:30).
    second_0130 = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert clocks.due_at(EMERGENCY, second_0130).astimezone(LONDON) == local(2026, 10, 25, 12, 0)


def test_calendar_hours_count_real_time_across_dst():
    day = rc("calendar_hours", 24)
    start = local(2026, 3, 28, 12, 0)  # GMT
    due = clocks.due_at(day, start)
    assert due - start.astimezone(UTC) == (datetime(2026, 3, 29, tzinfo=UTC) - datetime(2026, 3, 28, tzinfo=UTC))
    assert due.astimezone(LONDON).hour == 13  # the wall clock moved an hour


def test_naive_times_are_local():
    naive_summer = datetime(2026, 7, 1, 10, 0)
    assert clocks.to_utc(naive_summer) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    naive_winter = datetime(2026, 12, 1, 10, 0)
    assert clocks.to_utc(naive_winter) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_unknown_counting_is_an_error():
    with pytest.raises(ValueError):
        clocks.due_at(rc("fortnights", 1), local(2026, 1, 5, 10, 0))


def test_within_next_working_day():
    now = local(2026, 11, 27, 10, 0)  # Friday
    assert clocks.within_next_working_day(local(2026, 11, 30, 17, 0).astimezone(UTC), now)
    assert not clocks.within_next_working_day(local(2026, 12, 1, 17, 0).astimezone(UTC), now)


def test_received_on_substitute_and_easter_holidays():
    # Monday 28 Dec 2026 is the Boxing Day substitute: counts from Tuesday 29th.
    assert due_local(NEXT_DAY, 2026, 12, 28, 9, 0) == local(2026, 12, 30, 17, 0)
    assert due_local(THREE_DAY, 2026, 12, 28, 9, 0) == local(2027, 1, 4, 17, 0)  # 29, 30, 31 Dec; 1 Jan off
    # Easter Monday 6 April 2026: counts from Tuesday 7th.
    assert due_local(NEXT_DAY, 2026, 4, 6, 9, 0) == local(2026, 4, 8, 17, 0)
    # Easter Saturday: counts from Tuesday 7th too.
    assert due_local(URGENT_COLLECTION, 2026, 4, 4, 12, 0) == local(2026, 4, 9, 17, 0)


def test_emergency_received_at_closing_time_and_at_opening():
    assert due_local(EMERGENCY, 2026, 11, 23, 20, 0) == local(2026, 11, 24, 12, 0)
    assert due_local(EMERGENCY, 2026, 11, 23, 8, 0) == local(2026, 11, 23, 12, 0)
    assert due_local(EMERGENCY, 2026, 11, 23, 19, 59) == local(2026, 11, 24, 11, 59)


def test_seeded_classes_give_the_documented_due_times(db):
    from equipment.demo.seed import SEED_DIR, _load_response_classes

    _load_response_classes(db, SEED_DIR)
    db.commit()
    monday_10 = local(2026, 11, 23, 10, 0)
    expected = {
        "emergency": local(2026, 11, 23, 14, 0),
        "next_day": local(2026, 11, 24, 17, 0),
        "three_day": local(2026, 11, 26, 17, 0),
        "standard": local(2026, 12, 2, 17, 0),
        "urgent_collection": local(2026, 11, 25, 17, 0),
        "standard_collection": local(2026, 11, 30, 17, 0),
    }
    for code, due in expected.items():
        assert clocks.due_at(db.get(ResponseClass, code), monday_10) == due, code
