"""The indirect-cost calculator (B2): API and page."""

import pytest

pytestmark = pytest.mark.django_db


def test_calculator_api_for_key_rd(api_client):
    response = api_client.get(
        "/api/v1/budget-rules/indirect-cap/",
        {"program": "key_rd", "edition": "krd-2016", "direct": "14000000", "equipment_purchase": "2000000"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "program": "key_rd",
        "edition": "krd-2016",
        "base": "12000000.00",
        "cap": "2010000.00",
        "tiers": [
            {"from": "0.00", "to": "5000000.00", "rate": "0.20", "amount": "1000000.00"},
            {"from": "5000000.00", "to": "10000000.00", "rate": "0.15", "amount": "750000.00"},
            {"from": "10000000.00", "to": None, "rate": "0.13", "amount": "260000.00"},
        ],
        "rule": "B2",
        "article": "KRD-FUNDS §20",
    }


def test_major_takes_capital_construction_out_of_the_base(api_client):
    body = api_client.get(
        "/api/v1/budget-rules/indirect-cap/",
        {"program": "major", "direct": "8000000", "equipment_purchase": "1000000", "capital_construction": "2000000"},
    ).json()
    assert (body["edition"], body["base"], body["cap"], body["article"]) == (
        "major-2017",
        "5000000.00",
        "1000000.00",
        "MAJOR-FUNDS §18",
    )


def test_edition_defaults_to_the_one_in_force_today(api_client):
    assert (
        api_client.get("/api/v1/budget-rules/indirect-cap/", {"program": "key_rd", "direct": "1000"}).json()["edition"]
        == "reform-2021"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"program": "key_rd"}, "direct"),
        ({"program": "key_rd", "direct": "-1"}, "direct"),
        ({"program": "key_rd", "direct": "100", "equipment_purchase": "200"}, "__all__"),
        ({"program": "major", "direct": "100", "edition": "krd-2016"}, "edition"),
        ({"program": "nasa", "direct": "100"}, "program"),
    ],
)
def test_bad_input_is_400_naming_the_field(api_client, query, field):
    response = api_client.get("/api/v1/budget-rules/indirect-cap/", query)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_calculator_page(client):
    response = client.get(
        "/budgets/calculator/",
        {"program": "key_rd", "edition": "krd-2016", "direct": "6000000", "equipment_purchase": "0"},
    )
    content = response.content.decode()
    assert "1150000.00" in content  # 1 000 000 + 15 % of 1 000 000
    assert "KRD-FUNDS §20" in content
