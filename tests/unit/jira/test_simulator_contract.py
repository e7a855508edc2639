"""The OpenAPI checker the simulator tests rely on (``tests/contract/openapi.py``)."""

from __future__ import annotations

import pytest

from tests.contract.openapi import JIRA_CLOUD, JIRA_DC, KNOWN_DEFECTS, OpenApiSpec, spec_or_skip


@pytest.fixture
def cloud_spec() -> OpenApiSpec:
    return spec_or_skip(JIRA_CLOUD)


@pytest.fixture
def dc_spec() -> OpenApiSpec:
    return spec_or_skip(JIRA_DC)


def test_a_path_the_vendor_does_not_describe_fails(cloud_spec: OpenApiSpec) -> None:
    """An invented endpoint is an error."""
    with pytest.raises(AssertionError, match="no such path"):
        cloud_spec.check_response("GET", "/rest/api/3/made-up", 200, {})
    with pytest.raises(AssertionError, match="method not described"):
        cloud_spec.check_response("PATCH", "/rest/api/3/issue/DEMO-1", 200, {})


def test_an_undeclared_status_fails(cloud_spec: OpenApiSpec) -> None:
    """A status the operation does not declare is an error naming the declared ones."""
    with pytest.raises(AssertionError, match=r"status not declared .*\(200, 401"):
        cloud_spec.check_response("GET", "/rest/api/3/myself", 418, None)


def test_a_bad_body_is_reported_with_its_json_pointer(cloud_spec: OpenApiSpec) -> None:
    """The message names the JSON pointer of each failure."""
    body = {"issues": [{"id": 10001}], "isLast": True}
    with pytest.raises(AssertionError, match=r"at /issues/0/id: 10001 is not of type 'string'"):
        cloud_spec.check_response("POST", "/rest/api/3/search/jql", 200, body)


def test_requests_are_checked_too(cloud_spec: OpenApiSpec) -> None:
    """A request body with a key the operation does not take fails."""
    cloud_spec.check_request("POST", "/rest/api/3/search/jql", {"jql": "project = A"})
    with pytest.raises(AssertionError, match="'startAt' was unexpected"):
        cloud_spec.check_request(
            "POST", "/rest/api/3/search/jql", {"jql": "project = A", "startAt": 0}
        )


def test_data_center_paths_sit_under_rest(dc_spec: OpenApiSpec) -> None:
    """DC's description writes /api/2/...; the server URL's path /rest is the prefix."""
    assert dc_spec.prefix == "/rest"
    dc_spec.check_response("GET", "/rest/api/2/myself", 200, {"name": "admin"})


def test_known_defects_are_corrected_and_only_those(dc_spec: OpenApiSpec) -> None:
    """DC's open-ended fields map and list responses validate; a wrong shape still fails."""
    issue = {"id": "1", "key": "A-1", "fields": {"summary": "s", "labels": [], "duedate": None}}
    dc_spec.check_response("GET", "/rest/api/2/issue/A-1", 200, issue)
    dc_spec.check_response("GET", "/rest/api/2/field", 200, [{"id": "summary"}])
    with pytest.raises(AssertionError):
        dc_spec.check_response("GET", "/rest/api/2/field", 200, {"id": "summary"})
    assert all(defect.why for defect in KNOWN_DEFECTS)


def test_generic_statuses_are_allowed_everywhere(dc_spec: OpenApiSpec) -> None:
    """429 and 5xx may answer any operation though few declare them."""
    dc_spec.check_response("GET", "/rest/api/2/issue/A-1", 429, {"errorMessages": ["slow down"]})
    dc_spec.check_response("POST", "/rest/api/2/search", 503, None)
