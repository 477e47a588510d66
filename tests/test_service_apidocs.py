from fastapi.testclient import TestClient

from assistant.service.routes.apidocs import render_api_reference


def test_service_apidocs_lists_every_route_without_external_assets():
    schema = {
        "info": {"title": "Alliance Assistant", "version": "1", "description": "d"},
        "paths": {
            "/api/v1/health": {"get": {"summary": "Health"}},
            "/api/v1/x/{id}": {"delete": {"summary": "<b>Drop</b>"}},
        },
    }
    page = render_api_reference(schema)
    assert "/api/v1/health" in page and "DELETE" in page
    assert "<b>Drop</b>" not in page and "&lt;b&gt;Drop" in page
    assert "http://" not in page and "https://" not in page


def test_service_apidocs_served_offline_and_swagger_off(tmp_path, monkeypatch):
    from assistant.service.app import create_app
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path)
    app = create_app(settings)
    client = TestClient(app)  # no lifespan: the page needs no model
    page = client.get("/docs")
    assert page.status_code == 200 and "/api/v1/transcripts" in page.text
    assert "cdn" not in page.text.lower()
    assert (
        client.get("/redoc").status_code in (404, 401, 405)
        or "swagger" not in client.get("/redoc").text.lower()
    )
