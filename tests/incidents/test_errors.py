def test_an_unmatched_api_path_gets_the_json_error_shape(viewer_client):
    response = viewer_client.get("/api/slos/-5/events/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "No such resource."}
    }


def test_an_unmatched_page_gets_the_html_not_found_page(viewer_client):
    response = viewer_client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
