"""The CSV export refuses bad filters with a 422 before it starts streaming."""

from __future__ import annotations


def test_unsearchable_filter_refused_before_the_csv_stream_starts(client, world):
    for path in ("/api/mous.csv", "/api/queue/export.csv"):
        response = client.get(path, params={"q": "\x00"}, headers=world.manager_a.headers)
        assert response.status_code == 422, path
        assert response.json()["error"]["code"] == "invalid_input"
