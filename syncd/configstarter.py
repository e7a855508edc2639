"""The starter config ``syncd init`` writes: it runs as is, and shows where real systems go.

It keeps two JSON files in step (memory adapter), so ``syncd plan``/``syncd sync`` work before any
account is set up; commented-out blocks show a Jira, Asana, Trello and MS Project member.
``config/syncd.example.yaml`` documents every key.
"""

from __future__ import annotations

STARTER = """\
# syncd configuration. Every key is documented in config/syncd.example.yaml
# `syncd check` validates this file and the systems it names.
# ${VAR} reads an environment variable, ${VAR:-default} gives a default: keep secrets out.

# state: sqlite:///var/lib/syncd/state.db       # default: ~/.local/state/syncd/state.db
state: ${SYNCD_STATE:-}

service:
  interval: 60s                                  # how often each group is polled
  full_resync: 1h                                # how often everything is read in full
  listen: 127.0.0.1:8787                         # webhooks, /healthz, /readyz, /metrics
  # public_url: https://syncd.example.com        # where vendors send webhooks

connections:                                     # one per account: name -> settings
  files: {type: memory}                          # JSON files, for trying syncd out
  # acme-jira:
  #   type: jira
  #   base_url: https://acme.atlassian.net
  #   email: pm@acme.example
  #   token: ${JIRA_TOKEN}
  # acme-asana: {type: asana, token: ${ASANA_TOKEN}}
  # acme-trello: {type: trello, key: ${TRELLO_KEY}, token: ${TRELLO_TOKEN}}
  # plan: {type: msproject}

people: {}                                       # email -> {connection: that system's user id}
  # ana@acme.example: {acme-jira: 5b10ac8d82e05b22cc7d4ef5, acme-trello: anasmith}

groups:
  demo:
    currency: EUR
    timezone: UTC
    members:
      - connection: files
        name: left
        path: ${SYNCD_DATA:-.}/left.json
      - connection: files
        name: right
        path: ${SYNCD_DATA:-.}/right.json
      # - connection: acme-jira
      #   project: WEB
      # - connection: acme-asana
      #   project: "1203456789012345"
      # - connection: acme-trello
      #   board: 5f1c0a2b3c4d5e6f7a8b9c0d
      # - connection: plan
      #   path: /data/website.xml
    authority: {}                                # field -> members, first wins a conflict
"""


def starter_config() -> str:
    """The text ``syncd init`` writes: a config that loads as is and is easy to extend."""
    return STARTER
