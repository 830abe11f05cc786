"""SQLAlchemy models, one module per aggregate; imported here so Alembic and the app see them all."""

from tracker.models.annual_report import AnnualReport
from tracker.models.api_token import ApiToken
from tracker.models.audit import AuditEvent
from tracker.models.calendar import CalendarDay, TechSmeWindow
from tracker.models.company import Company, CompanyYearFigures
from tracker.models.cultivation import CultivationTrack, TrackTransition
from tracker.models.designation import Designation
from tracker.models.notification import Notification
from tracker.models.registry import Carrier, CarrierLevel, Platform, ServiceInstitution, TalentAward
from tracker.models.target import IndicatorTarget
from tracker.models.user import Assignment, User
from tracker.models.visit import FollowUp, Visit

__all__ = [
    "AnnualReport", "ApiToken", "Assignment", "AuditEvent", "CalendarDay", "Carrier", "CarrierLevel", "Company", "CompanyYearFigures",
    "CultivationTrack", "Designation", "FollowUp", "IndicatorTarget", "Notification", "Platform",
    "ServiceInstitution", "TalentAward", "TechSmeWindow", "TrackTransition", "User", "Visit",
]
