import pytest

from sync_sdk import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    StorageError,
    SyncSdkError,
    ValidationError,
)
from sync_sdk.errors import ValidationIssue


@pytest.mark.parametrize(
    ("error", "code", "status", "builtin"),
    [
        (
            ValidationError([ValidationIssue("name", "blank", "must not be blank")]),
            "VALIDATION_FAILED",
            422,
            ValueError,
        ),
        (AuthenticationRequired("who are you"), "UNAUTHENTICATED", 401, SyncSdkError),
        (PermissionDenied("no"), "FORBIDDEN", 403, PermissionError),
        (NotFound("nothing"), "NOT_FOUND", 404, LookupError),
        (Conflict("twice"), "CONFLICT", 409, SyncSdkError),
        (StorageError("disk"), "STORAGE_ERROR", 503, SyncSdkError),
    ],
)
def test_problem_details(error: SyncSdkError, code: str, status: int, builtin: type) -> None:
    assert isinstance(error, SyncSdkError)
    assert isinstance(error, builtin)
    problem = error.to_problem()
    assert set(problem) == {"type", "title", "status", "code", "detail", "issues"}
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]


def test_validation_problem_lists_issues() -> None:
    err = ValidationError(
        [
            ValidationIssue("name", "blank", "must not be blank"),
            ValidationIssue("", "unknown_field", "x"),
        ]
    )
    assert err.to_problem()["issues"] == [
        {"path": "name", "code": "blank", "message": "must not be blank"},
        {"path": "", "code": "unknown_field", "message": "x"},
    ]
    assert "name: must not be blank" in str(err)


def test_tree_is_drawn_in_docstring() -> None:
    import sync_sdk.errors as errors

    for name in [
        "ValidationError",
        "AuthenticationRequired",
        "PermissionDenied",
        "NotFound",
        "Conflict",
        "StorageError",
    ]:
        assert name in (errors.__doc__ or "")
