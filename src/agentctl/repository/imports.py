"""SQL that the imports need beyond the other repository modules: bulk, never per row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from agentctl.models import AgentAvailability
from agentctl.timeutil import utcnow


def set_offline(session: Session, agent_ids: Sequence[uuid.UUID]) -> None:
    """Mark these agents offline, in one statement (an import that deactivates them)."""
    if agent_ids:
        session.execute(
            update(AgentAvailability)
            .where(AgentAvailability.user_id.in_(list(agent_ids)))
            .values(status="offline", updated_at=utcnow())
        )
