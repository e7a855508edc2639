"""Jira settings: deployments, credentials and member keys, with errors that say where."""

from __future__ import annotations

import pytest

from adapters.jira.config import JiraConnection, JiraMember
from syncd.config import load_config_text
from syncd.errors import ConfigError

CONFIG = """\
connections:
  acme-jira:
    type: jira
    base_url: https://acme.atlassian.net/
    email: pm@acme.example
    token: ${JIRA_TOKEN}
groups:
  website:
    currency: EUR
    members:
      - connection: acme-jira
        project: web
        jql: "type != Epic"
        fields: {start: customfield_10015, planned_cost: Budget}
        milestones: issue_type:Milestone
"""


def test_a_jira_member_loads_from_yaml_with_its_token_from_the_environment() -> None:
    """A Jira connection and member validate; the token comes from ${JIRA_TOKEN}."""
    config = load_config_text(CONFIG, display="syncd.yaml", env={"JIRA_TOKEN": "t0k3n-value"})
    connection = config.connections["acme-jira"]
    assert isinstance(connection, JiraConnection)
    assert connection.flavor == "cloud"
    assert connection.base_url == "https://acme.atlassian.net"
    member = config.groups["website"].members[0]
    assert isinstance(member, JiraMember)
    assert member.project == "WEB"
    assert member.milestone_issue_type == "Milestone"


def test_an_unknown_member_key_names_file_line_and_key() -> None:
    """A misspelt member key is refused with the file, the line and the key."""
    bad = CONFIG.replace("        jql:", "        jqll:")
    with pytest.raises(ConfigError) as caught:
        load_config_text(bad, display="syncd.yaml", env={"JIRA_TOKEN": "t0k3n-value"})
    text = str(caught.value)
    assert "syncd.yaml:13" in text
    assert "jqll" in text


@pytest.mark.parametrize(
    ("url", "flavor"),
    [
        ("https://acme.atlassian.net", "cloud"),
        ("https://api.atlassian.com/ex/jira/1234-abcd", "cloud"),
        ("https://jira.acme.example", "datacenter"),
    ],
)
def test_the_deployment_is_guessed_from_the_host(url: str, flavor: str) -> None:
    """Atlassian's hosts are Cloud; any other host is Data Center unless set."""
    assert JiraConnection(base_url=url, token="x" * 8).flavor == flavor


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"base_url": "acme.atlassian.net", "token": "abcd"}, r"http\(s\) URL"),
        ({"base_url": "https://u:p@acme.atlassian.net", "token": "abcd"}, "credentials"),
        ({"base_url": "https://acme.atlassian.net"}, "set token"),
        ({"base_url": "https://j.example", "password": "abcd"}, "password needs username"),
    ],
)
def test_bad_connections_say_what_is_wrong(settings: dict[str, str], message: str) -> None:
    """A URL without scheme, credentials in the URL or no credentials are refused clearly."""
    with pytest.raises(ValueError, match=message):
        JiraConnection(**settings)  # type: ignore[arg-type]


def test_milestones_setting_must_be_versions_or_an_issue_type() -> None:
    """milestones accepts versions or issue_type:<Name>, nothing else."""
    with pytest.raises(ValueError, match="issue_type:<Name>"):
        JiraMember(connection="j", project="WEB", milestones="epics")
