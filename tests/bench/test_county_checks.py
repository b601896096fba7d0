"""The bars bench/county_day.py prints for issue 13: met or missed, and which plan meets both."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import county_checks  # noqa: E402 - a bench script's module, beside bench/county_day.py


def summary(priority, late, lateness_h=0.0):
    return {"priority": priority, "late": late, "lateness": int(lateness_h * 3600)}


def lines(ours, vroom, nothing_late=None, emergencies=None, travel=None):
    return county_checks.bars(
        ours, vroom, emergencies=emergencies, nothing_late=nothing_late, equal_travel=travel or {}
    )


def test_a_quarter_is_inclusive_and_zero_needs_zero():
    assert county_checks.within_quarter(2, 8)
    assert not county_checks.within_quarter(3, 8)
    assert county_checks.within_quarter(0, 0)
    assert not county_checks.within_quarter(1, 0)


def test_each_bar_met_or_missed_with_its_figures():
    got = lines(
        summary(1470, 7, 17.0),
        summary(1460, 7, 17.5),
        emergencies=(0, 2, 0),
        travel={"without": (1.0, 47, 47), "with": (1.154, 47, 47)},
    )
    assert got[0] == "priority at least VROOM's: met (1470 / 1460)"
    assert got[1] == "tasks late at most 1/4 of VROOM's: MISSED (7 / 7)"
    assert got[2] == "lateness at most 1/4 of VROOM's: MISSED (17.0 / 17.5 h)"
    assert got[3] == "emergencies on time of those on time alone: MISSED (0 of 2; 0 on time in ours in all)"
    assert got[4] == "travel at equal service without due times at most 1.05 x: met (1.000 x)"
    assert got[5] == "travel at equal service with due times at most 1.05 x: MISSED (1.154 x)"


def test_emergencies_that_cannot_all_be_on_time_are_counted_by_number_too():
    # Five emergencies, four on time at most together; alone and ours put a different four on time.
    other_four = lines(summary(1450, 1), summary(1450, 10), emergencies=(3, 4, 4))
    assert (
        other_four[3] == "emergencies on time of those on time alone: met by number (3 of 4; 4 on time in ours in all)"
    )
    one_short = lines(summary(1450, 1), summary(1450, 10), emergencies=(3, 4, 3))
    assert one_short[3] == "emergencies on time of those on time alone: MISSED (3 of 4; 3 on time in ours in all)"
    same_four = lines(summary(1450, 1), summary(1450, 10), emergencies=(4, 4, 4))
    assert same_four[3] == "emergencies on time of those on time alone: met (4 of 4; 4 on time in ours in all)"


def test_the_nothing_late_plan_that_meets_both_bars_but_serves_less_is_named():
    got = lines(summary(4170, 7), summary(4120, 19), {"ours": summary(4130, 0), "vroom": summary(4070, 0)})
    assert got[-1] == (
        "a plan meeting the priority and late bars: our plan with nothing late (4130, 0 late), "
        "ranked below ours by the objective order, which puts priority first (4130 < 4170)"
    )


def test_a_nothing_late_plan_as_good_by_the_order_is_the_search_missing_it():
    got = lines(summary(4170, 7), summary(4120, 19), {"ours": summary(4100, 0), "vroom": summary(4170, 0)})
    assert got[-1].endswith("VROOM's plan with nothing late (4170, 0 late): the search missed it")


def test_none_found_when_nothing_late_serves_less_than_vroom():
    got = lines(summary(1470, 7), summary(1460, 7), {"ours": summary(1420, 0), "vroom": summary(1410, 0)})
    assert got[-1] == "a plan meeting the priority and late bars: none found (with nothing late, at most 1420)"
    assert lines(summary(1470, 1), summary(1460, 7), {"ours": summary(1420, 0)})[-1].endswith(": ours")


def test_fewer_jobs_served_is_not_equal_service():
    got = lines(summary(1460, 7), summary(1460, 7), travel={"with": (1.01, 46, 47)})
    assert got[-1] == "travel at equal service with due times at most 1.05 x: MISSED (1.010 x, serving 46 of 47)"
