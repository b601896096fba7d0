"""Depots and items through the API, with paging and validation."""


def test_seeded_depots_and_items(client, make, seeded):
    headers = make.headers("officer")
    depots = client.get("/api/v1/depots", headers=headers).json
    assert depots["total"] == 3
    assert {d["code"] for d in depots["items"]} == {"IPS", "BSE", "ELL"}
    assert set(depots["items"][0]["location"]) == {"lat", "lon"}
    items = client.get("/api/v1/items?limit=5", headers=headers).json
    assert items["total"] >= 60 and len(items["items"]) == 5
    first = items["items"][0]
    assert {"sku", "name", "serialised", "volume", "skills"} <= set(first)
    page2 = client.get("/api/v1/items?limit=5&offset=5", headers=headers).json
    assert {i["sku"] for i in page2["items"]}.isdisjoint({i["sku"] for i in items["items"]})


def test_item_search(client, make):
    make.item("HST-MOB", name="Mobile hoist", category="hoists", serialised=True, skills="hoist_trained")
    make.item("FRM-ZIM", name="Zimmer frame", category="walking")
    headers = make.headers("clerk")
    found = client.get("/api/v1/items?q=hoist", headers=headers).json
    assert [i["sku"] for i in found["items"]] == ["HST-MOB"]
    assert found["items"][0]["skills"] == ["hoist_trained"]


def test_paging_limits_are_validated(client, make):
    headers = make.headers("clerk")
    for query in ["limit=0", "limit=1001", "offset=-1", "limit=abc"]:
        response = client.get(f"/api/v1/items?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
        assert response.json["errors"]


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/depots", "/api/v1/items", "/api/v1/auth/token", "/healthz"} <= set(spec["paths"])
    docs = client.get("/api/v1/docs", follow_redirects=True)
    assert docs.status_code == 200 and b"swagger-ui" in docs.data


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_dead_database(tmp_path):
    from equipment.web import create_app

    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none", "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] != "ok"


def test_unknown_api_path_is_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_unknown_page_is_friendly(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert b"Back to the home page" in response.data
