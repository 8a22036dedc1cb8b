-- One agent's session in chain order (GET /v1/audit?agent=, paged by seq) and its latest steps (the dashboard's
-- live sessions) without sorting all of the agent's lines: audit_event_agent_task serves agent+task look-ups only.
CREATE INDEX audit_event_project_agent ON audit_event (project, agent, seq);
