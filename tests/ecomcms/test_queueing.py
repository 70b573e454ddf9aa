"""ecomcms.queueing: the one way tasks are sent, after the commit, telling the caller whether the broker took it."""

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from ecomcms import queueing


class Task:
    name = "tests.task"

    def __init__(self, broker_up: bool = True):
        self.broker_up = broker_up
        self.sent = []

    def apply_async(self, args, kwargs=None, **options):
        if not self.broker_up:
            raise OperationalError("[Errno 111] Connection refused")
        self.sent.append((tuple(args), kwargs))


def test_sending_passes_args_and_kwargs():
    task = Task()

    assert queueing.send(task, (1,), kwargs={"trigger": "admin"}) is True
    assert task.sent == [((1,), {"trigger": "admin"})]


def test_a_broker_that_is_down_is_a_logged_false_not_an_error(caplog):
    assert queueing.send(Task(broker_up=False), (7,)) is False
    assert "broker unreachable, tests.task[7] not sent" in caplog.text


def test_nothing_is_sent_before_the_commit(db, django_capture_on_commit_callbacks):
    task = Task()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        dispatch = queueing.send_after_commit(task, (1,))
        assert task.sent == [] and dispatch.sent is None

    assert len(callbacks) == 1 and task.sent == [((1,), None)] and dispatch.sent is True


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing():
    task = Task()

    with pytest.raises(RuntimeError), transaction.atomic():
        dispatch = queueing.send_after_commit(task, (1,))
        raise RuntimeError("the service failed after queueing")

    assert task.sent == [] and dispatch.sent is None


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_caller_learns_at_once_that_the_broker_is_down():
    refused = []

    dispatch = queueing.send_after_commit(Task(broker_up=False), (3,), not_sent=lambda: refused.append(3))

    assert dispatch.sent is False and refused == [3]


@pytest.mark.django_db(transaction=True)
def test_not_sent_is_not_called_when_the_broker_takes_the_task():
    refused = []

    dispatch = queueing.send_after_commit(Task(), (3,), not_sent=lambda: refused.append(3))

    assert dispatch.sent is True and refused == []
