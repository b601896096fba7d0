"""The first start, in Chromium: today's plan is published by the demo seed, the plan map shows
the county, its towns, the depots and a legend of vans without any tile server, and it lets the
page scroll until it is clicked; the demo driver opens their route on a phone."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from equipment.demo.today_plan import publish_todays_plan
from equipment.models import Plan, User, Van
from tests.browser.conftest import sign_in_as


def _todays_plan(db, engine) -> tuple[int, str]:
    planned = publish_todays_plan(engine, seconds=1)
    assert planned["demo_driver_stops"] > 0
    plan_id = db.exec(select(Plan.id).where(Plan.published_at.is_not(None))).one()
    reg = db.exec(select(Van.reg).join(User, User.van_id == Van.id).where(User.username == "driver")).one()
    db.commit()
    return plan_id, reg


def test_the_plan_map_without_tiles_and_the_drivers_first_route(live_server, open_page, db, engine):
    plan_id, reg = _todays_plan(db, engine)

    page = open_page()
    sign_in_as(page, live_server, "coordinator")
    page.goto(f"{live_server}/plans/{plan_id}")
    the_map = page.locator("#plan-map")
    # The county's outline and its towns stand in for tiles; the legend names every van.
    expect(the_map.locator("path[fill='#f7f4ea']")).to_have_count(1)
    expect(the_map.locator(".town-label", has_text="Stowmarket")).to_be_visible()
    expect(the_map.locator(".map-legend")).to_contain_text(reg)
    expect(the_map.locator(".leaflet-tile")).to_have_count(0)

    # The wheel over the map scrolls the page and leaves the map's zoom alone...
    def spread() -> float:  # how far apart two towns are drawn: it grows as the map zooms in
        a, b = (the_map.locator(".town-label", has_text=t).bounding_box() for t in ("Stowmarket", "Felixstowe"))
        return abs(a["x"] - b["x"]) + abs(a["y"] - b["y"])

    width = spread()
    box = the_map.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 3)
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(600)
    assert page.evaluate("window.scrollY") > 0
    assert spread() == width
    # ...until the map is clicked: then the wheel zooms it, and the page stays put.
    page.evaluate("window.scrollTo(0, 0)")
    box = the_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 3, box["y"] + box["height"] / 3)
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(800)
    assert page.evaluate("window.scrollY") == 0
    assert spread() > width * 1.2

    phone = open_page(phone=True)
    sign_in_as(phone, live_server, "driver")
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="My route").click()
    expect(phone.locator("section.stop").first).to_be_visible()
    expect(phone.locator("#no-route")).to_have_count(0)
    expect(phone.locator("#plan-map .leaflet-interactive").first).to_be_attached()
