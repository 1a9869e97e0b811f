"""Voicemail: deposits within a box's limit, folders, message-waiting counts, retention, and the transcription queue
(two workers never take one job; a dead worker's job is taken over after its lease; retries with backoff).

Boxes and messages are the organization's, on the application login. The transcription workers serve every
organization, on the platform login; the queue tests commit their jobs (named by their own organization) and
count only those.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from tests.support import Conn, new_org, platform_work
from warp_models import (
    VoicemailBoxCreate,
    VoicemailMessageCreate,
    VoicemailMessageUpdate,
    VoicemailTranscriptionCreate,
)
from warp_repo.errors import InvalidTransition, LimitExceeded, NotFound
from warp_repo.voicemail import (
    TranscriptionQueue,
    Voicemail,
    VoicemailBoxRepo,
    VoicemailMessageRepo,
    VoicemailTranscriptionRepo,
)


def box(conn: Conn, org: UUID, **values: Any) -> UUID:
    create = VoicemailBoxCreate.model_validate({"org_id": org, "mailbox": str(1000 + len(values)), **values})
    return VoicemailBoxRepo(conn).for_org(org).insert(create).id


def message(org: UUID, box_id: UUID, **values: Any) -> VoicemailMessageCreate:
    return VoicemailMessageCreate.model_validate(
        {"org_id": org, "box_id": box_id, "audio_url": f"s3://vm/{uuid4().hex}.wav", **values}
    )


# --- deposits and folders --------------------------------------------------------------------------------------------


def test_a_deposit_past_max_messages_is_refused_and_deleted_ones_do_not_count(conn: Conn) -> None:
    org = new_org(conn)
    mailbox = box(conn, org, max_messages=2)
    voicemail = Voicemail(conn, org)
    first = voicemail.deposit(message(org, mailbox))
    voicemail.deposit(message(org, mailbox))
    with pytest.raises(LimitExceeded) as caught:
        voicemail.deposit(message(org, mailbox))
    assert (caught.value.limit_name, caught.value.limit, caught.value.current) == ("max_messages", 2, 2)
    voicemail.move(first.id, "deleted")
    voicemail.deposit(message(org, mailbox))  # room again: deleted messages wait for the clean-up only
    assert VoicemailMessageRepo(conn).for_org(org).count() == 3


def test_deposits_into_another_organizations_box_or_a_disabled_one_are_refused(conn: Conn) -> None:
    mine, theirs = new_org(conn), new_org(conn)
    their_box = box(conn, theirs)
    with pytest.raises(NotFound):
        Voicemail(conn, mine).deposit(message(mine, their_box))
    closed = box(conn, mine, enabled=False)
    with pytest.raises(InvalidTransition):
        Voicemail(conn, mine).deposit(message(mine, closed))


def test_two_deposits_racing_for_the_last_place_one_wins(autocommit: Conn, domain_url: str) -> None:
    org = new_org(autocommit)
    mailbox = box(autocommit, org, max_messages=1)
    outcomes: list[str] = []
    gate = threading.Barrier(2)

    def deposit() -> None:
        with psycopg.connect(domain_url) as conn:
            gate.wait()
            try:
                Voicemail(conn, org).deposit(message(org, mailbox))
                conn.execute("SELECT pg_sleep(0.05)")
                conn.commit()
                outcomes.append("stored")
            except LimitExceeded:
                outcomes.append("refused")

    threads = [threading.Thread(target=deposit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "stored"]


def test_folders_read_state_and_message_waiting_counts(conn: Conn) -> None:
    org = new_org(conn)
    mailbox, other = box(conn, org), box(conn, org, mailbox="2000")
    voicemail = Voicemail(conn, org)
    urgent_new = voicemail.deposit(message(org, mailbox, urgent=True))
    plain_new = voicemail.deposit(message(org, mailbox))
    read_one = voicemail.deposit(message(org, mailbox, urgent=True))
    saved = voicemail.deposit(message(org, mailbox))
    gone = voicemail.deposit(message(org, mailbox))
    voicemail.mark_read(read_one.id)
    assert voicemail.move(saved.id, "saved").folder == "saved"
    assert voicemail.move(gone.id, "deleted").deleted_at is not None

    lamps = {m.box_id: m for m in voicemail.message_waiting([mailbox, other, uuid4()])}
    assert set(lamps) == {mailbox, other}
    lamp = lamps[mailbox]
    assert (lamp.new, lamp.new_urgent, lamp.old, lamp.old_urgent) == (2, 1, 2, 1)
    assert lamp.waiting and lamp.summary() == "2/2 (1/1)"
    assert not lamps[other].waiting and lamps[other].summary() == "0/0 (0/0)"

    inbox = voicemail.folder(mailbox, "inbox")
    assert [m.id for m in inbox] == [urgent_new.id, plain_new.id, read_one.id]  # new first, urgent first
    again = voicemail.mark_read(read_one.id, read=False)
    assert again.read_at is None
    assert voicemail.message_waiting([mailbox])[0].new == 3
    with pytest.raises(NotFound):
        voicemail.move(uuid4(), "saved")
    assert Voicemail(conn, new_org(conn)).message_waiting([mailbox]) == []  # another organization sees no box


def test_the_retention_clean_up_removes_expired_messages_and_their_transcriptions(conn: Conn) -> None:
    org = new_org(conn)
    kept_box = box(conn, org)
    short_box = box(conn, org, mailbox="3000", retention_days=7, transcription_enabled=True)
    voicemail = Voicemail(conn, org)
    old = datetime.now(UTC) - timedelta(days=10)
    expired = voicemail.deposit(message(org, short_box, received_at=old))
    recent = voicemail.deposit(message(org, short_box))
    kept = voicemail.deposit(message(org, kept_box, received_at=old))
    binned = voicemail.deposit(message(org, kept_box))
    voicemail.move(binned.id, "deleted")
    VoicemailMessageRepo(conn).for_org(org).update(
        binned.id, VoicemailMessageUpdate(deleted_at=datetime.now(UTC) - timedelta(days=40))
    )
    jobs = VoicemailTranscriptionRepo(conn).for_org(org)
    assert jobs.count() == 2  # the short box transcribes: a job per deposit
    assert sorted(voicemail.clean_up()) == sorted([expired.id, binned.id])
    left = {m.id for m in VoicemailMessageRepo(conn).for_org(org).list()}
    assert left == {recent.id, kept.id}
    assert jobs.count() == 1


# --- the transcription queue -----------------------------------------------------------------------------------------


def enqueue(autocommit: Conn, count: int, **job: Any) -> tuple[UUID, set[UUID]]:
    """``count`` committed pending jobs of a new organization."""
    org = new_org(autocommit)
    mailbox = box(autocommit, org, max_messages=count + 1)
    messages = [message(org, mailbox) for _ in range(count)]
    VoicemailMessageRepo(autocommit).for_org(org).copy_in(messages)
    stored = VoicemailMessageRepo(autocommit).for_org(org).list()
    creates = [
        VoicemailTranscriptionCreate.model_validate({"org_id": org, "message_id": m.id, "engine": "whisper", **job})
        for m in stored
    ]
    VoicemailTranscriptionRepo(autocommit).for_org(org).copy_in(creates)
    return org, {t.id for t in VoicemailTranscriptionRepo(autocommit).for_org(org).list()}


def test_two_workers_take_1000_jobs_each_exactly_once(autocommit: Conn, domain_platform_url: str) -> None:
    org, jobs = enqueue(autocommit, 1000)
    done: dict[str, list[UUID]] = {"w1": [], "w2": []}

    def work(worker: str) -> None:
        with psycopg.connect(domain_platform_url, autocommit=True) as conn:
            queue = TranscriptionQueue(conn, worker)
            while True:
                claimed = queue.claim(limit=5)
                if not claimed:
                    return
                for job in claimed:
                    finished = queue.complete(job.id, f"transcribed by {worker}")
                    assert finished.status == "completed"
                    done[worker].append(job.id)

    threads = [threading.Thread(target=work, args=(w,)) for w in done]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mine = [j for j in done["w1"] + done["w2"] if j in jobs]
    assert len(mine) == len(set(mine)) == 1000, "a job was done twice, or not at all"
    assert done["w1"] and done["w2"], "both workers took part"
    rows = VoicemailTranscriptionRepo(autocommit).for_org(org).list()
    assert {r.status for r in rows} == {"completed"}
    assert {r.attempts for r in rows} == {1}
    by_worker = {r.id: r.claimed_by for r in rows}
    assert all(by_worker[j] == "w1" for j in done["w1"] if j in jobs)


def test_a_dead_workers_job_is_claimable_again_after_its_lease(autocommit: Conn, domain_platform_url: str) -> None:
    _, (job,) = enqueue(autocommit, 1)
    lease = timedelta(seconds=1)
    dying = psycopg.connect(domain_platform_url, autocommit=True)
    (taken,) = TranscriptionQueue(dying, "dies", lease=lease).claim()
    assert taken.id == job and taken.status == "processing" and taken.attempts == 1
    dying.pgconn.finish()  # killed mid-job: the connection goes away without a word

    with psycopg.connect(domain_platform_url, autocommit=True) as conn:
        survivor = TranscriptionQueue(conn, "survives", lease=lease)
        assert job not in {j.id for j in survivor.claim(limit=100)}, "taken over before the lease ran out"
        time.sleep(1.2)
        again = {j.id: j for j in survivor.claim(limit=100)}
        assert job in again and again[job].attempts == 2 and again[job].claimed_by == "survives"
        with pytest.raises(InvalidTransition):  # the dead worker's answer, arriving late, is not taken
            TranscriptionQueue(conn, "dies").complete(job, "too late")
        assert survivor.complete(job, "hello").status == "completed"


def test_a_failed_attempt_is_retried_after_a_backoff_until_max_attempts(
    autocommit: Conn, domain_platform_url: str
) -> None:
    _, (job,) = enqueue(autocommit, 1, max_attempts=2)
    with psycopg.connect(domain_platform_url, autocommit=True) as conn:
        queue = TranscriptionQueue(conn, "flaky", backoff=timedelta(seconds=1))
        assert job in {j.id for j in queue.claim(limit=100)}
        first = queue.fail(job, "engine timed out")
        assert first.status == "pending" and first.error_message == "engine timed out"
        assert first.available_at > datetime.now(UTC)
        assert job not in {j.id for j in queue.claim(limit=100)}, "retried before its backoff"
        time.sleep(1.2)
        assert job in {j.id for j in queue.claim(limit=100)}
        last = queue.fail(job, "engine timed out again")
        assert last.status == "failed" and last.attempts == 2 and last.completed_at is not None
        with pytest.raises(InvalidTransition):
            queue.fail(job, "once more")
    with pytest.raises(ValueError, match="worker"):
        TranscriptionQueue(autocommit, "")


def test_the_application_login_cannot_work_the_queue(autocommit: Conn, conn: Conn) -> None:
    enqueue(autocommit, 1)
    assert TranscriptionQueue(conn, "app").claim(limit=100) == []  # the platform reach is the platform's only


def test_the_queue_statements_are_scoped_by_the_platform_reach(platform_conn: Conn) -> None:
    with platform_work(platform_conn):
        found = platform_conn.execute(
            "SELECT count(*) FROM pg_policy WHERE polrelid = 'voicemail_transcriptions'::regclass"
        ).fetchone()
    assert found == (2,)
