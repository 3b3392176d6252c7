"""Requests as `curl -d` sends them, through the local stack's real HTTP server (issue 12)."""

from tests.support.client import Client

# What `curl -d '<json>' URL` puts on the wire besides the body.
CURL_D_HEADERS = {
    "User-Agent": "curl/8.5.0",
    "Accept": "*/*",
    "Content-Type": "application/x-www-form-urlencoded",
}


def test_curl_d_json_bodies_work_as_with_the_reference_server(client: Client) -> None:
    slug = f"CURL_{client.new_user()}"
    user = client.new_user()
    created = client.session.post(
        client.base_url + "/api/segments",
        data=f'{{"slug": "{slug}"}}',
        headers=CURL_D_HEADERS,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    added = client.session.post(
        client.base_url + f"/api/users/{user}/add_to_segment",
        data=f'["{slug}"]',
        headers=CURL_D_HEADERS,
        timeout=30,
    )
    assert added.status_code == 201, added.text
    assert client.slugs(user) == [slug]


def test_a_curl_d_form_body_is_415_and_a_padded_id_is_400(client: Client) -> None:
    user = client.new_user()
    form = client.session.post(
        client.base_url + f"/api/users/{user}/add_to_segment",
        data="slug=A",
        headers=CURL_D_HEADERS,
        timeout=30,
    )
    assert form.status_code == 415
    assert "JSON" in form.json()["message"]
    padded = client.request("GET", f"/api/users/0{user}/show_active_segments")
    assert padded.status_code == 400
    assert "leading zeros" in padded.json()["message"]
