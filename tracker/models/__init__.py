"""SQLAlchemy models, one module per aggregate; imported here so Alembic and the app see them all."""

from tracker.models.accompaniment import AccompanimentRecord, KeyCompany, accompaniment_follow_up
from tracker.models.annual_report import AnnualReport
from tracker.models.api_token import ApiToken
from tracker.models.attachment import Attachment
from tracker.models.attraction import AttractionChannel, AttractionNote, AttractionProject
from tracker.models.audit import AuditEvent
from tracker.models.calendar import CalendarDay, TechSmeWindow
from tracker.models.candidate_result import CandidateResult, CandidateResultSet
from tracker.models.channel import ChannelAccessToken, ChannelDefault, ChannelRobot
from tracker.models.company import Company, CompanyYearFigures
from tracker.models.company_stage import CompanyStage, CompanyStageDay
from tracker.models.cultivation import CultivationTrack, TrackTransition
from tracker.models.designation import Designation
from tracker.models.follow_up_case import Department, FollowUpEvent, FollowUpReviewSetting
from tracker.models.notification import Notification
from tracker.models.pending_upload import PendingUpload
from tracker.models.policy import Policy, PolicyClaim, PolicyClaimStep, PolicyCondition
from tracker.models.registry import Carrier, CarrierLevel, Platform, ServiceInstitution, TalentAward
from tracker.models.submission import SubmissionToken
from tracker.models.support import SupportRecord
from tracker.models.target import IndicatorTarget
from tracker.models.user import Assignment, User
from tracker.models.visit import FollowUp, Visit
from tracker.models.worker_heartbeat import WorkerHeartbeat

__all__ = [
    "AccompanimentRecord", "KeyCompany", "SupportRecord", "accompaniment_follow_up",
    "AnnualReport", "ApiToken", "AttractionChannel", "AttractionNote", "AttractionProject", "Attachment", "Assignment", "AuditEvent", "CalendarDay", "CandidateResult", "CandidateResultSet", "Carrier", "ChannelAccessToken", "ChannelDefault", "ChannelRobot", "CarrierLevel", "Company", "CompanyStage", "CompanyStageDay", "CompanyYearFigures",
    "CultivationTrack", "Department", "Designation", "FollowUp", "FollowUpEvent", "FollowUpReviewSetting", "IndicatorTarget", "Notification", "Platform", "Policy", "PolicyClaim", "PolicyClaimStep", "PolicyCondition",
    "ServiceInstitution", "SubmissionToken", "TalentAward", "TechSmeWindow", "TrackTransition", "User", "Visit",
    "PendingUpload", "WorkerHeartbeat",
]
