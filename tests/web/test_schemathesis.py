"""Property-based run of schemathesis over the OpenAPI spec: no request makes the service 500.

Every API operation gets generated requests (valid and invalid ones); the check is
``not_a_server_error``. Starting a run uses the fake launcher (a run is recorded, nothing is
solved), so the whole run is bounded: ``max_examples`` per operation is small.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from web_support import FakeLauncher, tiny_scenario

from fabnet.web import create_app


def _app():
    import tempfile

    import yaml
    from fastapi.testclient import TestClient

    home = Path(tempfile.mkdtemp(prefix="fabnet-schemathesis-"))
    app = create_app(home, launcher=FakeLauncher(home))
    with TestClient(app) as client:  # something to find: an upload and two runs
        client.post("/api/scenarios", files={"file": ("t.yaml", yaml.safe_dump(tiny_scenario()))})
        for _ in range(2):
            client.post("/api/runs", json={"scenario_id": "ai-fab-network-2024"})
    return app


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error])


def test_the_spec_covers_every_api_route():
    operations = {
        (op.method.upper(), op.path)
        for result in schema.get_all_operations()
        for op in [result.ok()]
    }
    assert ("POST", "/api/runs") in operations
    assert ("POST", "/api/scenarios") in operations
    assert ("GET", "/api/runs/{run_id}/tables/{name}") in operations
    assert len(operations) >= 11


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
