"""Builders for the API tests: keys made by the real command, clients that send them."""

from __future__ import annotations

import json

from django.test import Client

from accounts import commands


def api_key(company, role: str, name: str | None = None) -> str:
    """A new key of `company` with `role`, made as ops makes it; returns the secret."""
    name = name or f"{role.lower()}-key"
    return commands.create_api_key(actor=None, company=company, name=name, role=role).secret


class ApiClient:
    """Django's test client speaking JSON with a Bearer key."""

    def __init__(self, secret: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str, **params):
        return self.client.get(path, params, headers=self.headers)

    def send(self, method: str, path: str, body=None, **headers):
        return self.client.generic(
            method,
            path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def post(self, path: str, body=None, **headers):
        return self.send("POST", path, body, **headers)

    def put(self, path: str, body=None, **headers):
        return self.send("PUT", path, body, **headers)


def order_body(customer: str = "Initech", lines: int = 2) -> dict:
    return {
        "customer_name": customer,
        "customer_reference": "PO-7",
        "customer_email": "buyer@initech.example",
        "lines": [
            {"sku": f"SKU-{i}", "description": f"Item {i}", "quantity": i + 1, "unit_price": "9.99"}
            for i in range(lines)
        ],
    }
