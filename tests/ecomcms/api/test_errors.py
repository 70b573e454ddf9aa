"""One error hierarchy (ecomcms.errors), mapped to HTTP once (ecomcms.api.errors), whichever app refuses."""

import json

import pytest
from rest_framework.test import APIRequestFactory

from content import services as content_services
from ecomcms import errors
from ecomcms.api.http import ApiView
from ecomcms.finetune import services as finetune_services
from privacy import services as privacy_services
from recommender import services as recommender_services
from storefront import experiments
from support import services as support_services
from tests.content.factories import make_user


class Refusing(ApiView):
    """An endpoint whose service refuses with ``error``."""

    allow_anonymous = True
    error: Exception | None = None

    def get(self, request):
        raise self.error


def answer(error: Exception):
    response = Refusing.as_view(error=error)(APIRequestFactory().get("/api/v1/refusing"))
    response.render()
    return response.status_code, json.loads(response.content)


class ReplyNotSendable(errors.ServiceError):
    code = "reply_not_sendable"


class FlagsNotConfirmed(errors.ServiceError):
    status = 409
    code = "flags_not_confirmed"


@pytest.mark.parametrize(("error", "status", "code"), [
    (errors.ServiceError("no such template version"), 400, "invalid_request"),
    (errors.ValidationFailed("too few labels"), 400, "invalid_request"),
    (errors.NotAllowed("bob may not review draft"), 403, "permission_denied"),
    (errors.NotFound("no such adapter"), 404, "not_found"),
    (errors.StateError("already approved"), 409, "invalid_state"),
    (ReplyNotSendable("an unfilled placeholder"), 400, "reply_not_sendable"),
    (FlagsNotConfirmed("check the flags first"), 409, "flags_not_confirmed"),
])
def test_a_service_refusal_is_answered_with_its_status_code_and_message(db, error, status, code):
    assert answer(error) == (status, {"error": {"code": code, "message": str(error)}})


@pytest.mark.parametrize(("error", "status", "code"), [
    (content_services.ContentError("unknown template"), 400, "invalid_request"),
    (content_services.DraftStateError("the draft is approved"), 409, "invalid_state"),
    (content_services.NotAllowed("bob may not publish draft"), 403, "permission_denied"),
    (support_services.SupportError("the reply is empty"), 400, "invalid_request"),
    (support_services.StateError("cannot reply to a closed ticket"), 409, "invalid_state"),
    (support_services.NotAllowed("bob may not handle ticket"), 403, "permission_denied"),
    (support_services.ReplyNotSendable([{"message": "fill in {order_id}"}]), 400, "reply_not_sendable"),
    (support_services.FlagsNotConfirmed(["refund"], [{"code": "refund", "message": "promises money"}]), 409,
     "flags_not_confirmed"),
    (recommender_services.RecommenderError("no events to train on"), 400, "invalid_request"),
    (recommender_services.NotAllowed("bob may not add modelversion"), 403, "permission_denied"),
    (experiments.NotAllowed(experiments.PUBLISHERS_ONLY), 403, "permission_denied"),
    (privacy_services.NothingMatches("no data for this customer"), 404, "not_found"),
    (finetune_services.NotAllowed(finetune_services.OPERATORS_ONLY), 403, "permission_denied"),
])
def test_an_apps_own_errors_map_through_the_shared_bases(db, error, status, code):
    assert answer(error) == (status, {"error": {"code": code, "message": str(error)}})


@pytest.mark.parametrize(("app_error", "shared"), [
    (content_services.ContentError, errors.ServiceError),
    (content_services.DraftStateError, errors.StateError),
    (support_services.StateError, errors.StateError),
    (recommender_services.RecommenderError, errors.ServiceError),
    (experiments.ExperimentError, errors.ServiceError),
    (privacy_services.PrivacyError, errors.ServiceError),
    (finetune_services.FinetuneError, errors.ServiceError),
])
def test_an_apps_errors_extend_the_shared_bases(app_error, shared):
    assert issubclass(app_error, shared)


@pytest.mark.parametrize(("app_not_allowed", "app_error"), [
    (content_services.NotAllowed, content_services.ContentError),
    (support_services.NotAllowed, support_services.SupportError),
    (recommender_services.NotAllowed, recommender_services.RecommenderError),
    (experiments.NotAllowed, experiments.ExperimentError),
    (privacy_services.NotAllowed, privacy_services.PrivacyError),
    (finetune_services.NotAllowed, finetune_services.FinetuneError),
])
def test_each_apps_not_allowed_is_caught_by_the_apps_name_and_by_the_shared_one(app_not_allowed, app_error):
    assert issubclass(app_not_allowed, app_error) and issubclass(app_not_allowed, errors.NotAllowed)


def test_a_refusal_without_a_message_still_says_something(db):
    assert answer(errors.StateError()) == (409, {"error": {"code": "invalid_state",
                                                           "message": "The request was refused."}})


def test_anything_else_is_a_logged_500_that_reveals_nothing(db, caplog):
    status, body = answer(RuntimeError("secret detail"))

    assert status == 500
    assert body == {"error": {"code": "server_error",
                              "message": "Something went wrong on our side; it has been logged."}}
    assert "secret detail" in caplog.text


# --- require_permission ---------------------------------------------------------------------------

def test_the_system_may_do_anything():
    errors.require_permission(None, "ecomcms_content.publish_draft")  # no error


def test_a_person_with_the_permission_passes(db):
    errors.require_permission(make_user("Editors", "eve"), "ecomcms_content.publish_draft")  # no error


def test_a_person_without_it_is_refused_with_the_apps_error_naming_the_action(db):
    writer = make_user("Writers", "walt")

    with pytest.raises(content_services.NotAllowed, match=r"^walt may not publish draft$"):
        errors.require_permission(writer, "ecomcms_content.publish_draft", error=content_services.NotAllowed)


def test_the_refusal_may_say_why_in_its_own_words(db):
    with pytest.raises(errors.NotAllowed, match="only operators"):
        errors.require_permission(make_user(None), "ecomcms.train_adapter", message="only operators may train")
