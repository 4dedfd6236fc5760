"""The API description an integrator reads: every operation named, summarised, its errors as problems."""

from app.main import create_app

SPEC = create_app().openapi()
OPERATIONS = [(path, method, op) for path, ops in SPEC["paths"].items() for method, op in ops.items()]


def test_every_operation_has_a_unique_id_and_a_summary() -> None:
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids))
    assert [f"{m} {p}" for p, m, op in OPERATIONS if not op.get("summary")] == []


def test_every_error_response_is_documented_as_problem_json() -> None:
    for path, method, op in OPERATIONS:
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                assert "application/problem+json" in response.get("content", {}), f"{method} {path} {code}"
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in op["responses"], f"{method} {path}"


def test_write_operations_document_their_refusals() -> None:
    writes = [(p, m, op) for p, m, op in OPERATIONS if m in ("put", "patch", "delete")]
    assert writes
    for path, method, op in writes:
        assert {"401", "403", "412", "428"} <= set(op["responses"]), f"{method} {path}"
