"""ASFF findings: validated against the Security Hub service model that botocore ships (AWS's
published definition of ``BatchImportFindings``), with stable IDs and the documented severities.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import validate_parameters

from stalecreds import scan_report
from stalecreds.formats import OutputFormat
from stalecreds.formats.asff import asff_finding, render_asff
from stalecreds.formats.findings import FindingEvent, finding_events
from stalecreds.model import AccessKey, LastUse, Password, Status, UserCredentials
from stalecreds.rules.assessment import assess
from stalecreds.rules.verdicts import Thresholds, VerdictRules
from tests.conftest import SAMPLE_AS_OF, report, report_row, sample_scan, tricky_scan


def render(scan: Any) -> str:
    out = io.StringIO()
    render_asff(scan, out)
    return out.getvalue()


def findings_of(scan: Any) -> list[dict[str, Any]]:
    return json.loads(render(scan))


@pytest.fixture(scope="module")
def input_shape() -> StructureShape:
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    assert isinstance(shape, StructureShape)
    return shape


def model_problems(value: Any, shape: Shape, where: str = "Findings") -> list[str]:
    """What botocore's validator leaves out: enumerations, patterns and length limits."""
    problems = []
    metadata = shape.metadata
    if isinstance(shape, StructureShape):
        for name, member in value.items():
            problems += model_problems(member, shape.members[name], f"{where}.{name}")
    elif isinstance(shape, ListShape):
        for index, item in enumerate(value):
            problems += model_problems(item, shape.member, f"{where}[{index}]")
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            problems += model_problems(key, shape.key, f"{where} key")
            problems += model_problems(item, shape.value, f"{where}[{key}]")
    elif shape.type_name == "string":
        if "enum" in metadata and value not in metadata["enum"]:
            problems.append(f"{where}: {value!r} is not one of {metadata['enum']}")
        if "pattern" in metadata and not re.fullmatch(metadata["pattern"], value, re.S):
            problems.append(f"{where}: {value!r} does not match {metadata['pattern']}")
        if "max" in metadata and len(value) > metadata["max"]:
            problems.append(f"{where}: longer than {metadata['max']}")
    return problems


def assert_valid(findings: list[dict[str, Any]], input_shape: StructureShape) -> None:
    validate_parameters({"Findings": findings}, input_shape)  # raises ParamValidationError
    assert model_problems(findings, input_shape.members["Findings"]) == []
    for finding in findings:
        # Security Hub's documented limits, which the model does not carry.
        assert len(finding["Id"]) <= 512
        assert len(finding["Title"]) <= 256
        assert len(finding["Description"]) <= 1024
        assert len(finding["Remediation"]["Recommendation"]["Text"]) <= 512
        assert len(finding["ProductFields"]) <= 50
        assert all(len(k) <= 128 and len(v) <= 2048 for k, v in finding["ProductFields"].items())
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", finding["CreatedAt"])


def test_golden(golden):
    golden("sample.asff.json", render(sample_scan()))


def test_registered_and_streams():
    assert OutputFormat("asff").renderer() is render_asff
    assert OutputFormat.ASFF.streams is True


def test_sample_is_valid_against_the_security_hub_model(input_shape):
    findings = findings_of(sample_scan())
    assert len(findings) == 8  # 7 credentials are findings; the root key is two
    assert_valid(findings, input_shape)


def test_tricky_names_are_valid_and_kept_verbatim(input_shape):
    findings = findings_of(tricky_scan())
    assert_valid(findings, input_shape)
    names = {r["Details"]["AwsIamUser"]["UserName"] for f in findings for r in f["Resources"][:1]}
    assert '<img src=x onerror="window.__pwned=1">' in names


def test_a_validator_that_catches_mistakes(input_shape):
    finding = findings_of(sample_scan())[0]
    broken = {**finding, "Severity": {"Label": "SEVERE"}}
    assert model_problems([broken], input_shape.members["Findings"]) == [
        "Findings[0].Severity.Label: 'SEVERE' is not one of "
        "['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']"
    ]
    missing = {k: v for k, v in finding.items() if k != "GeneratorId"}
    with pytest.raises(Exception, match="GeneratorId"):
        validate_parameters({"Findings": [missing]}, input_shape)


def test_only_findings_with_the_documented_severities():
    findings = findings_of(sample_scan())
    got = [
        (
            f["ProductFields"]["stalecreds/FindingRule"],
            f["Resources"][0]["Id"].rsplit("/", 1)[-1],
            f["ProductFields"]["stalecreds/CredentialKind"],
            f["Severity"]["Label"],
        )
        for f in findings
    ]
    assert got == [
        ("unused-credential", "AWS::::Account:123456789012", "access_key", "MEDIUM"),
        ("root-access-key", "AWS::::Account:123456789012", "access_key", "CRITICAL"),
        ("unused-credential", "bob", "password", "LOW"),  # MFA on
        ("unused-credential", "bob", "access_key", "MEDIUM"),
        ("unused-credential", "dave", "password", "MEDIUM"),  # no MFA
        ("unused-credential", "break-glass", "password", "LOW"),  # MFA on
        ("unused-credential", "data-pipeline", "access_key", "MEDIUM"),
        ("unused-credential", "legacy-backup", "access_key", "MEDIUM"),
    ]


def test_uncertain_password_is_low():
    scanned = scan_report(
        report(
            report_row(
                user="old",
                arn="arn:aws:iam::111122223333:user/old",
                password_enabled="true",
                password_last_used="no_information",
                password_last_changed="2017-01-01T00:00:00+00:00",
            )
        ),
        as_of=datetime(2018, 6, 1, tzinfo=UTC),
    )
    (finding,) = findings_of(scanned)
    assert finding["ProductFields"]["stalecreds/Verdict"] == "uncertain"
    assert finding["Severity"]["Label"] == "LOW"
    assert finding["Title"] == "Console password of IAM user old is possibly unused"


def test_fields_of_a_key_finding():
    finding = findings_of(sample_scan())[3]
    assert finding["SchemaVersion"] == "2018-10-08"
    assert finding["ProductArn"] == (
        "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    )
    assert finding["GeneratorId"] == "stalecreds/unused-credential"
    assert finding["AwsAccountId"] == "123456789012"
    assert finding["Types"][0] == (
        "Software and Configuration Checks/Industry and Regulatory Standards/"
        "CIS AWS Foundations Benchmark"
    )
    assert finding["CreatedAt"] == finding["UpdatedAt"] == "2026-11-01T10:00:00.000Z"
    assert finding["Title"] == "Access key 1 of IAM user bob is unused"
    assert "Last used 2026-03-10" in finding["Description"]
    assert finding["Resources"] == [
        {
            "Type": "AwsIamUser",
            "Id": "arn:aws:iam::123456789012:user/bob",
            "Partition": "aws",
            "Region": "us-east-1",
            "Details": {
                "AwsIamUser": {
                    "UserName": "bob",
                    "CreateDate": "2018-07-23T13:02:19.000Z",
                    "Path": "/",
                }
            },
        },
        {
            "Type": "AwsIamAccessKey",
            "Id": "arn:aws:iam::123456789012:user/bob/access-key/1",
            "Partition": "aws",
            "Region": "us-east-1",
            "Details": {
                "AwsIamAccessKey": {
                    "Status": "Active",
                    "CreatedAt": "2023-04-18T12:00:43.000Z",
                    "PrincipalType": "IAMUser",
                    "PrincipalName": "bob",
                    "AccountId": "123456789012",
                }
            },
        },
    ]
    assert finding["Compliance"] == {
        "Status": "FAILED",
        "RelatedRequirements": ["CIS AWS Foundations Benchmark v3.0.0/1.12"],
    }
    assert finding["Remediation"]["Recommendation"]["Url"].startswith(
        "https://docs.aws.amazon.com/IAM/"
    )
    dave = findings_of(sample_scan())[4]
    assert dave["Resources"][0]["Details"]["AwsIamUser"]["Path"] == "/engineering/"
    assert len(dave["Resources"]) == 1  # a password is not a resource of its own


def test_ids_are_stable_and_distinct():
    first = [f["Id"] for f in findings_of(sample_scan())]
    again = [f["Id"] for f in findings_of(sample_scan())]
    assert first == again
    assert len(set(first)) == len(first)
    assert all(re.fullmatch(r"stalecreds/aws/123456789012/[a-z-]+/[0-9a-f]{32}", i) for i in first)
    # Judged later (and with another window), the same credentials keep their IDs.
    data = sample_scan().source
    assert data.name == "sample-credential-report.json"
    from importlib import resources

    raw = resources.files("stalecreds").joinpath("data", "sample-credential-report.json")
    later = scan_report(
        raw.read_bytes(), as_of=datetime(2027, 3, 1, tzinfo=UTC), thresholds=Thresholds(45, 45)
    )
    later_ids = {f["Id"] for f in findings_of(later)}
    assert set(first) <= later_ids


def _user(**changes: Any) -> UserCredentials:
    base = UserCredentials(
        user="kim",
        arn="arn:aws:iam::111122223333:user/kim",
        account_id="111122223333",
        partition="aws",
        is_root=False,
        created=datetime(2020, 1, 1, tzinfo=UTC),
        mfa_active=None,
        password=None,
        access_keys=(
            AccessKey(
                None,
                "AKIAIOSFODNN7EXAMPLE",
                Status.ACTIVE,
                datetime(2020, 1, 1, tzinfo=UTC),
                LastUse(datetime(2020, 2, 1, tzinfo=UTC), "us-east-1", "s3"),
            ),
        ),
        certificates=(),
    )
    return base._replace(**changes)


def _events(user: UserCredentials) -> list[FindingEvent]:
    rules = VerdictRules(SAMPLE_AS_OF, Thresholds())
    return [event for a in assess(user, rules) for event in finding_events(a)]


def test_live_keys_use_their_id_and_other_partitions_their_region(input_shape):
    (event,) = _events(_user())
    finding = asff_finding(event, SAMPLE_AS_OF)
    key = finding["Resources"][1]
    assert key["Id"] == "AKIAIOSFODNN7EXAMPLE"
    assert key["Details"]["AwsIamAccessKey"]["AccessKeyId"] == "AKIAIOSFODNN7EXAMPLE"
    (same,) = _events(_user(access_keys=(_user().access_keys[0]._replace(slot=1),)))
    assert asff_finding(same, SAMPLE_AS_OF)["Id"] == finding["Id"]  # the ID decides, not slot
    china = _user(arn="arn:aws-cn:iam::111122223333:user/kim", partition="aws-cn")
    (event,) = _events(china)
    finding_cn = asff_finding(event, SAMPLE_AS_OF)
    assert finding_cn["ProductArn"] == (
        "arn:aws-cn:securityhub:cn-north-1:111122223333:product/111122223333/default"
    )
    assert finding_cn["Id"] != finding["Id"]
    assert finding_cn["Resources"][0]["Partition"] == "aws-cn"
    west = asff_finding(event, SAMPLE_AS_OF, region="cn-northwest-1")
    assert west["ProductArn"].startswith("arn:aws-cn:securityhub:cn-northwest-1:")
    assert_valid([finding, finding_cn, west], input_shape)


def test_password_and_key_of_one_user_differ():
    user = _user(password=Password(datetime(2020, 1, 1, tzinfo=UTC), None), mfa_active=False)
    ids = [asff_finding(e, SAMPLE_AS_OF)["Id"] for e in _events(user)]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_long_values_are_clipped(input_shape):
    name = "x" * 2000
    (event,) = _events(_user(user=name, arn=f"arn:aws:iam::111122223333:user/{name}"))
    finding = asff_finding(event, SAMPLE_AS_OF)
    assert len(finding["Title"]) == 256 and finding["Title"].endswith("…")
    assert_valid([finding], input_shape)


def test_no_findings_is_an_empty_array():
    clean = scan_report(report(report_row()), as_of=SAMPLE_AS_OF)
    assert render(clean) == "[]\n"
