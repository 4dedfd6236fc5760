"""/health/live and /health/ready; /metrics."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from app.settings import Settings


def test_live(demo_client: TestClient) -> None:
    response = demo_client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "live"}
    assert response.headers["cache-control"] == "no-store"


def test_ready_names_each_check(demo_client: TestClient) -> None:
    response = demo_client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True, "detail": "reachable"}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["migrations"]["detail"].startswith("at head ")


def test_not_ready_when_migrations_are_behind(engine: Engine) -> None:
    app = create_app(engine)
    with TestClient(app) as client:
        # The schema goes behind while the app runs (the start-up check passed).
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not-ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["detail"].startswith("at 0001, code needs ")


METRICS_TOKEN = "a-scraper-token-for-the-tests"


def test_metrics_per_route_template_and_pool(demo_engine: Engine) -> None:
    with TestClient(create_app(demo_engine, Settings(metrics_token=METRICS_TOKEN))) as client:
        client.get("/api/v1/postcodes/4331AB")
        client.get("/api/v1/no/such/path")
        text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    assert 'wijkkaart_http_requests_total{method="GET",route="/api/v1/postcodes/{postcode}",status="200"}' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "4331AB" not in text
    assert 'wijkkaart_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/postcodes/{postcode}"}' in text
    for gauge in ("size", "checked_out", "checked_in", "overflow"):
        assert f"wijkkaart_db_pool_{gauge} " in text
