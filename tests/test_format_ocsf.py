"""OCSF Detection Finding events, validated against OCSF's published 1.1.0 schema (vendored as
JSON Schema in tests/data/; see tests/data/README.md for where it comes from)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from stalecreds import scan_report
from stalecreds.formats import OutputFormat
from stalecreds.formats.asff import render_asff
from stalecreds.formats.ocsf import OCSF_VERSION, epoch_millis, render_ocsf
from tests.conftest import SAMPLE_AS_OF, report, report_row, sample_scan, tricky_scan

SCHEMA_PATH = Path(__file__).parent / "data" / "ocsf-1.1.0-detection_finding-cloud.schema.json"

# Captions of the OCSF 1.1.0 enumerations used (detection_finding attributes).
SEVERITIES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Fatal"}
STATUSES = {1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved"}
ACTIVITIES = {1: "Create", 2: "Update", 3: "Close"}


@cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def render(scan: Any, renderer: Any = render_ocsf) -> str:
    out = io.StringIO()
    renderer(scan, out)
    return out.getvalue()


def events_of(scan: Any) -> list[dict[str, Any]]:
    return json.loads(render(scan))


def assert_valid(events: list[dict[str, Any]]) -> None:
    for event in events:
        errors = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator().iter_errors(event)
        ]
        assert errors == []
        # Sibling captions agree with the enumerations (the schema checks the ids only).
        assert event["severity"] == SEVERITIES[event["severity_id"]]
        assert event["status"] == STATUSES[event["status_id"]]
        assert event["activity_name"] == ACTIVITIES[event["activity_id"]]
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        assert event["type_name"] == f"Detection Finding: {event['activity_name']}"


def test_golden(golden):
    golden("sample.ocsf.json", render(sample_scan()))


def test_registered_and_streams():
    assert OutputFormat("ocsf").renderer() is render_ocsf
    assert OutputFormat.OCSF.streams is True


def test_sample_is_valid_against_the_ocsf_schema():
    events = events_of(sample_scan())
    assert len(events) == 8
    assert_valid(events)


def test_tricky_names_are_valid():
    events = events_of(tricky_scan())
    assert len(events) == 10
    assert_valid(events)


def test_the_schema_rejects_mistakes():
    event = events_of(sample_scan())[0]
    assert not validator().is_valid({**event, "severity_id": 7})
    assert not validator().is_valid({k: v for k, v in event.items() if k != "cloud"})
    assert not validator().is_valid({**event, "finding_info": {"uid": "x"}})  # title required
    assert not validator().is_valid({**event, "made_up": 1})  # no attribute outside the class


def test_fields_of_an_event():
    event = events_of(sample_scan())[3]
    assert event["class_uid"] == 2004 and event["category_uid"] == 2
    assert (event["class_name"], event["category_name"]) == ("Detection Finding", "Findings")
    assert event["type_uid"] == 200401
    assert event["time"] == event["finding_info"]["created_time"] == 1793527200000
    assert datetime.fromtimestamp(event["time"] / 1000, UTC) == SAMPLE_AS_OF
    assert event["metadata"] == {
        "version": "1.1.0",
        "profiles": ["cloud"],
        "product": {"name": "stalecreds", "vendor_name": "stalecreds", "version": "0.1.0"},
    }
    assert (event["severity_id"], event["severity"]) == (3, "Medium")
    assert event["cloud"] == {
        "provider": "AWS",
        "account": {"uid": "123456789012", "type_id": 10, "type": "AWS Account"},
    }
    assert event["finding_info"]["title"] == "Access key 1 of IAM user bob is unused"
    assert event["finding_info"]["analytic"]["uid"] == "unused-credential"
    user, key = event["resources"]
    assert (user["type"], user["uid"], user["name"]) == (
        "AwsIamUser",
        "arn:aws:iam::123456789012:user/bob",
        "bob",
    )
    assert (key["type"], key["uid"]) == (
        "AwsIamAccessKey",
        "arn:aws:iam::123456789012:user/bob/access-key/1",
    )
    assert key["owner"]["uid"] == user["uid"]
    assert key["data"]["last_used"] == "2026-03-10T18:44:00+00:00"
    assert event["unmapped"]["stalecreds"]["days_since_last_used"] == 235
    assert event["remediation"]["references"][0].startswith("https://docs.aws.amazon.com/IAM/")
    assert OCSF_VERSION == "1.1.0"


def test_uids_and_severities_match_the_asff_output():
    events = events_of(sample_scan())
    findings = json.loads(render(sample_scan(), render_asff))
    assert [e["finding_info"]["uid"] for e in events] == [f["Id"] for f in findings]
    assert [e["severity"].upper() for e in events] == [f["Severity"]["Label"] for f in findings]
    assert [e["resources"][0]["uid"] for e in events] == [f["Resources"][0]["Id"] for f in findings]


def test_root_key_is_critical_and_on_the_account():
    root_unused, root_key = events_of(sample_scan())[:2]
    assert root_key["finding_info"]["analytic"]["uid"] == "root-access-key"
    assert (root_key["severity_id"], root_key["severity"]) == (5, "Critical")
    assert root_key["resources"][0]["type"] == "AwsAccount"
    assert root_key["resources"][1]["owner"]["type"] == "Admin"
    assert root_unused["finding_info"]["uid"] != root_key["finding_info"]["uid"]


def test_epoch_millis():
    assert epoch_millis(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert epoch_millis(datetime(2026, 11, 1, 10, 0, 0, 999_999, tzinfo=UTC)) == 1793527200999


def test_no_findings_is_an_empty_array():
    assert render(scan_report(report(report_row()), as_of=SAMPLE_AS_OF)) == "[]\n"


def test_vendored_schema_is_the_published_one():
    """Regenerate the vendored file from the OCSF schema that ocsf-json-schema bundles."""
    generator = pytest.importorskip(
        "ocsf_json_schema", reason="ocsf-json-schema is not installed (the file is vendored)"
    )
    schema = generator.OcsfJsonSchemaEmbedded(generator.get_ocsf_schema(version="1.1.0"))
    fresh = schema.get_class_schema(class_name="detection_finding", profiles=["cloud"])
    assert json.loads(json.dumps(fresh)) == json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
