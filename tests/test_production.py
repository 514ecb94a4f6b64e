"""The production profile under load and faults (docs/production.md).

One profile for the module, started the way `make run-production` starts it, on
ports of its own: two PostgreSQL databases of its own (tracker store and case
database), Redis as lock store under a key prefix of its own, two Rasa servers and
two action servers behind nginx. Customers talk to it through nginx, except where a
test needs one replica in particular.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import psycopg2
import pytest

from bot.channels.guard import ACTION_FAILED_REPLY
from bot.tools.databases import create_database, drop_database
from bot.tools.production import Production, Profile, free_port_offset, prepare_services
from bot.tracker_rows import unseal
from tests.channel_client import socket_chat
from tests.conftest import RestClient
from tests.intake_chat import answer_until_summary, begin_request, new_sender, receipt_of, ticket_count, tickets_of

pytestmark = [pytest.mark.production, pytest.mark.postgres, pytest.mark.redis]
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
CONCURRENT_CONVERSATIONS = 50
# A request from the greeting to the receipt (complete_request): こんにちは, the
# greeting's button, kind, requester, consent, name, contact, customer number,
# details, presentation, はい.
MESSAGES_PER_REQUEST = 11


class ProductionBot(RestClient):
    def __init__(self, production: Production, log: Path) -> None:
        profile = production.profile
        super().__init__(f"http://127.0.0.1:{profile.balancer_port}", profile.cases_url)
        self.production, self.profile, self.log = production, profile, log

    def replica(self, number: int) -> RestClient:
        """One Rasa server directly, not through nginx."""
        return RestClient(f"http://127.0.0.1:{self.profile.rasa_ports[number - 1]}", self.cases_url)

    def wait_for_action_servers(self, timeout_s: float = 30) -> None:
        """Until nginx passes calls to the action servers again (it rests a server
        that failed for a few seconds, docs/production.md)."""
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.profile.actions_balancer_port}/health"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.5)
        pytest.fail("nginx did not reach the restarted action servers")

    def events(self, sender: str) -> list[tuple[str, dict[str, Any]]]:
        """(type, data) of the conversation's events in the PostgreSQL tracker store, in order."""
        with psycopg2.connect(self.profile.tracker_url) as db, db.cursor() as cursor:
            cursor.execute("SELECT type_name, data FROM events WHERE sender_id = %s ORDER BY id",
                           (sender,))
            return [(kind, unseal(data)) for kind, data in cursor.fetchall()]

    def user_texts(self, sender: str) -> list[str]:
        return [data["text"] for kind, data in self.events(sender) if kind == "user"]

    def upstreams_of_rest_calls(self) -> dict[str, int]:
        """How many REST messages nginx sent to each Rasa server (its access log)."""
        counts: dict[str, int] = {}
        for line in (self.profile.run_dir / "nginx-access.log").read_text().splitlines():
            match = re.search(r'"POST /webhooks/rest/webhook [^"]*" 200 .* upstream=(\S+)', line)
            if match:
                counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        return counts


@pytest.fixture(scope="module")
def production(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionBot]:
    workdir = tmp_path_factory.mktemp("production")
    suffix = secrets.token_hex(4)
    tracker_url = f"{POSTGRES}/tracker_test_{suffix}"
    cases_url = f"{POSTGRES}/cases_test_{suffix}"
    profile = Profile(tracker_url=tracker_url, cases_url=cases_url,
                      lock_prefix=f"tcntest{suffix}", port_offset=free_port_offset(), run_dir=workdir)
    log_path = workdir / "servers.log"
    for url in (tracker_url, cases_url):
        create_database(url)
    prepare_services(profile)
    with log_path.open("w") as log:
        deployment = Production(profile, output=log.fileno())
        try:
            deployment.start(timeout_s=300)
            yield ProductionBot(deployment, log_path)
        finally:
            deployment.stop()
            for url in (tracker_url, cases_url):
                drop_database(url)


def complete_request(bot: RestClient, sender: str) -> str:
    """A 開示 request from start to receipt; returns the reference."""
    answer_until_summary(bot, sender, "開示")
    receipt = receipt_of(bot.reply_text(sender, "はい"))
    assert receipt is not None, f"no receipt for {sender}"
    return receipt.reference


def test_chat_page_and_socketio_through_the_balancer(production: ProductionBot) -> None:
    with urllib.request.urlopen(production.rasa_url + "/", timeout=10) as page:
        body = page.read().decode()
        assert "webchat" in body and production.profile.public_url in body
    with socket_chat(production, new_sender()) as chat:
        chat.say("個人情報の利用目的を教えて")
        reply = chat.reply()
        assert reply is not None and "利用目的" in reply and "出典：セキュリティポリシー 2.(3)" in reply
    # Rasa's other HTTP routes are not published.
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(production.rasa_url + "/version", timeout=10)


def _status(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, method=method, data=b"[]" if method == "POST" else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rasa_http_api_is_not_published_and_needs_its_key_on_the_replicas(production: ProductionBot) -> None:
    """The staff console's way into conversations (bot/live_chat/rasa_api.py) is not on
    the public listener; on the replicas' loopback ports it needs the JWT."""
    sender = new_sender()
    production.reply_text(sender, "こんにちは")
    stored = len(production.events(sender))
    events = f"/conversations/{sender}/tracker/events"
    public = production.rasa_url
    assert _status(public + events, "POST") == 403  # only GET reaches the chat page
    assert _status(public + f"/conversations/{sender}/tracker") == 404
    # What REST customers poll for staff messages is published.
    assert _status(public + f"/webhooks/rest/messages?sender={sender}") == 200
    for replica in production.profile.rasa_ports:
        local = f"http://127.0.0.1:{replica}"
        assert _status(local + events, "POST") == 401
        assert _status(local + events, "POST", {"Authorization": "Bearer not-a-jwt"}) == 401
    assert len(production.events(sender)) == stored  # nothing appended


def test_fifty_concurrent_requests_make_fifty_tickets(production: ProductionBot) -> None:
    before = ticket_count(production)
    upstream_before = production.upstreams_of_rest_calls()
    senders = [new_sender() for _ in range(CONCURRENT_CONVERSATIONS)]
    started = time.monotonic()
    with ThreadPoolExecutor(CONCURRENT_CONVERSATIONS) as pool:
        references = list(pool.map(lambda sender: complete_request(production, sender), senders,
                                   timeout=600))
    elapsed = time.monotonic() - started
    assert len(set(references)) == CONCURRENT_CONVERSATIONS
    assert ticket_count(production) == before + CONCURRENT_CONVERSATIONS
    for sender, reference in zip(senders, references):
        (ticket,) = tickets_of(production, sender)
        assert ticket.reference == reference
        # Every message of the conversation stored, in the order sent, each answered
        # before the next one was taken.
        events = production.events(sender)
        texts = [data["text"] for kind, data in events if kind == "user"]
        assert texts[:2] == ["こんにちは", "/request_privacy_action"] and texts[-1] == "はい"
        assert len(texts) == MESSAGES_PER_REQUEST
        kinds = [kind for kind, _ in events]
        for position, kind in enumerate(kinds):
            if kind == "user" and position:
                assert kinds[position - 1] == "action" and events[position - 1][1]["name"] == "action_listen"
    # Both replicas took messages, about half each.
    after = production.upstreams_of_rest_calls()
    served = {upstream: after[upstream] - upstream_before.get(upstream, 0) for upstream in after}
    messages = MESSAGES_PER_REQUEST * CONCURRENT_CONVERSATIONS
    assert sum(served.values()) == messages
    assert len(served) == 2 and min(served.values()) >= messages * 0.4, served
    print(f"\n{CONCURRENT_CONVERSATIONS} request forms ({messages} messages) in {elapsed:.1f} s, "
          f"split {served}")


def test_status_lookup_after_a_request_in_the_same_conversation(production: ProductionBot) -> None:
    """By then every call to the action servers carries a conversation of over 64 KiB
    (nginx refused such calls with 413 before its internal listener allowed them)."""
    sender = new_sender()
    answer_until_summary(production, sender, "開示")
    receipt = receipt_of(production.reply_text(sender, "はい"))
    assert receipt is not None
    assert "受付番号" in production.reply_text(sender, "受付状況を確認したいです")
    assert "確認コード" in production.reply_text(sender, receipt.reference)
    reply = production.reply_text(sender, receipt.code)
    assert f"受付番号 {receipt.reference}" in reply and "「受付」" in reply


def test_one_conversation_on_both_replicas_is_processed_one_message_at_a_time(
        production: ProductionBot) -> None:
    for _ in range(5):
        sender = new_sender()
        production.say(sender, "こんにちは")
        barrier = threading.Barrier(2)

        # Called only within this iteration, so the loop's barrier and sender are the current ones.
        def send(replica: int, text: str) -> str:
            barrier.wait()  # noqa: B023
            return production.replica(replica).reply_text(sender, text)  # noqa: B023

        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(send, 1, "個人情報の利用目的を教えて")
            second = pool.submit(send, 2, "第三者に提供することはありますか")
            replies = [first.result(timeout=120), second.result(timeout=120)]
        assert all(replies), replies
        events = production.events(sender)
        texts = [data["text"] for kind, data in events if kind == "user"]
        assert texts[0] == "こんにちは"
        assert sorted(texts[1:]) == sorted(["個人情報の利用目的を教えて", "第三者に提供することはありますか"])
        # Each message's turn ends (action_listen) before the next message is stored:
        # the second replica waited for the first one's lock.
        kinds = [(kind, data.get("name")) for kind, data in events]
        users = [i for i, (kind, _) in enumerate(kinds) if kind == "user"]
        for position in users[1:]:
            assert kinds[position - 1] == ("action", "action_listen"), kinds
        bot_texts = [data["text"] for kind, data in events if kind == "bot"]
        assert len(bot_texts) >= 3


def test_action_servers_down_mid_form_apologize_then_resume(production: ProductionBot) -> None:
    sender = new_sender()
    begin_request(production, sender, "削除")
    assert "お名前" in production.click(sender, "はい")
    # One action server gone: nginx passes the calls to the other; nobody notices.
    production.production.kill("actions-1")
    assert "電話番号" in production.reply_text(sender, "多摩　花子")
    # Both gone: an apology instead of silence, and nothing taken from the answer.
    production.production.kill("actions-2")
    reply = production.reply_text(sender, "090-1234-5678、hanako@example.jp")
    assert reply == ACTION_FAILED_REPLY
    production.production.restart("actions-1")
    production.production.restart("actions-2")
    # The same answer again: the form goes on from the question it was at.
    assert "お客様番号" in production.reply_text(sender, "090-1234-5678、hanako@example.jp")
    assert "具体的" in production.reply_text(sender, "なし")
    assert "本人確認書類" in production.reply_text(sender, "登録されている住所")
    assert "よろしいですか" in production.reply_text(sender, "郵送でコピーを提出します")
    assert receipt_of(production.reply_text(sender, "はい"))
    (ticket,) = tickets_of(production, sender)
    assert ticket.kind == "削除"


def test_a_rasa_replica_killed_mid_conversation_the_other_goes_on(production: ProductionBot) -> None:
    sender = new_sender()
    begin_request(production, sender, "訂正")
    production.production.kill("rasa-1")
    try:
        # Every message now reaches rasa-2 (nginx skips the refused connection).
        assert "お名前" in production.click(sender, "はい")
        assert "電話番号" in production.reply_text(sender, "多摩　花子")
        assert "お客様番号" in production.reply_text(sender, "090-1234-5678、hanako@example.jp")
        assert "具体的" in production.reply_text(sender, "なし")
        assert "本人確認書類" in production.reply_text(sender, "住所を東京都青梅市新町1-2-3に訂正")
        assert "よろしいですか" in production.reply_text(sender, "郵送でコピーを提出します")
        assert receipt_of(production.reply_text(sender, "はい"))
    finally:
        production.production.restart("rasa-1", timeout_s=300)
    assert len(tickets_of(production, sender)) == 1
    assert production.user_texts(sender)[-1] == "はい"


def _restart_postgresql() -> None:
    (version,) = [path.name for path in Path("/etc/postgresql").iterdir()]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, capture_output=True, timeout=120)


def test_postgresql_restart_loses_nothing_and_files_once(production: ProductionBot) -> None:
    sender = new_sender()
    answer_until_summary(production, sender, "利用停止")
    # Every pooled connection of both Rasa servers and both action servers is now dead.
    _restart_postgresql()
    receipt = receipt_of(production.reply_text(sender, "はい"))
    assert receipt is not None
    # A second confirmation (a customer pressing again) does not file again.
    production.reply_text(sender, "はい")
    (ticket,) = tickets_of(production, sender)
    assert ticket.reference == receipt.reference
    assert production.user_texts(sender)[-2:] == ["はい", "はい"]
    # The next conversation works on both replicas too.
    for replica in (1, 2):
        assert "利用目的" in production.replica(replica).reply_text(new_sender(), "利用目的を教えて")
