"""JSON Schema of every bus message, for other teams and for documentation."""

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.alerts import AlertJob, LeaderAlert, ReservistCandidates
from schemas.approvals import Approval
from schemas.crisis import CrisisEvent
from schemas.delivery import DeadLetter, DeliveryReport
from schemas.notices import Notice
from schemas.responses import PersonResponse

BUS_MODELS: tuple[type[BaseModel], ...] = (
    CrisisEvent,
    Approval,
    AlertJob,
    LeaderAlert,
    ReservistCandidates,
    Notice,
    PersonResponse,
    DeliveryReport,
    DeadLetter,
)


def export_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for model in BUS_MODELS:
        path = directory / f"{model.__name__}.schema.json"
        path.write_text(json.dumps(model.model_json_schema(), indent=2) + "\n")
        written.append(path)
    return written
