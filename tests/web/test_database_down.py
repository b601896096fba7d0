"""When the database does not answer, people get a 503 to retry, never a 500."""

from equipment.web import create_app

DEAD = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def test_api_answers_503_problem_when_the_database_is_down():
    app = create_app({"DATABASE_URL": DEAD, "SECRET_KEY": "x"})
    response = app.test_client().post("/api/v1/auth/token", json={"username": "a", "password": "b"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0


def test_pages_answer_503_when_the_database_is_down():
    app = create_app({"DATABASE_URL": DEAD, "SECRET_KEY": "x", "LOGIN_RATE_LIMIT": "1000 per minute"})
    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[-1].split('"')[0]
    response = client.post("/login", data={"username": "a", "password": "b", "csrf_token": token})
    assert response.status_code == 503
    assert b"cannot reach its database" in response.data
