"""Contains all the data models used in inputs/outputs"""

from .action_response_status import ActionResponseStatus
from .action_response_with_results_public_status import ActionResponseWithResultsPublicStatus
from .action_response_with_results_public_status_links import ActionResponseWithResultsPublicStatusLinks
from .action_response_with_results_public_wide_status import ActionResponseWithResultsPublicWideStatus
from .action_response_with_results_public_wide_status_links import ActionResponseWithResultsPublicWideStatusLinks
from .channel import Channel
from .error import Error
from .error_context import ErrorContext
from .error_detail import ErrorDetail
from .error_detail_context import ErrorDetailContext
from .error_links import ErrorLinks
from .legal_basis import LegalBasis
from .public_status import PublicStatus
from .public_wide_status import PublicWideStatus
from .rate_limit_exceeded import RateLimitExceeded
from .set_status_success_reason import SetStatusSuccessReason
from .standard_error import StandardError
from .standard_error_context import StandardErrorContext
from .standard_error_links import StandardErrorLinks
from .standard_error_sub_category import StandardErrorSubCategory
from .subscription_status import SubscriptionStatus
from .wide_status_type import WideStatusType

__all__ = (
    "ActionResponseStatus",
    "ActionResponseWithResultsPublicStatus",
    "ActionResponseWithResultsPublicStatusLinks",
    "ActionResponseWithResultsPublicWideStatus",
    "ActionResponseWithResultsPublicWideStatusLinks",
    "Channel",
    "Error",
    "ErrorContext",
    "ErrorDetail",
    "ErrorDetailContext",
    "ErrorLinks",
    "LegalBasis",
    "PublicStatus",
    "PublicWideStatus",
    "RateLimitExceeded",
    "SetStatusSuccessReason",
    "StandardError",
    "StandardErrorContext",
    "StandardErrorLinks",
    "StandardErrorSubCategory",
    "SubscriptionStatus",
    "WideStatusType",
)
