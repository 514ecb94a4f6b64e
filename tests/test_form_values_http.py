"""Issue 14 over REST and socket.io, with the servers started as `make run` starts
them: what the intake form stores and shows back.

- Several answers at once fill every field they hold; a value recognised but not
  kept is said, with why (the wording of data/policy/intake.yml).
- Typed equals clicked: at every step that offers buttons, typing a button's title
  does what clicking it does (a clicking and a typing customer side by side).
- What the customer typed comes back as plain text on the socket.io channel too.
- Any text at any step gets a reply, and whatever a ticket stores parses as its field.

What was stored is read back from the case database."""

from __future__ import annotations

import queue
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.cases.models import ID_PRESENTATIONS, KINDS, REQUESTERS, Ticket
from bot.intake import fields
from bot.intake import form as f
from bot.intake.echo import plain_text
from bot.intake.form import load_intake_wording
from bot.text import normalize
from tests.channel_client import SocketChat, socket_chat
from tests.conftest import RestClient, RunningBot
from tests.intake_chat import NOT_UNDERSTOOD, new_sender, receipt_of, start_request, tickets_of

WORDING = load_intake_wording()
REJECTED = WORDING["rejected"]
ASK = {slot: WORDING["ask"][slot]["text"].splitlines()[0] for slot in f.ASKED}
HANDOFF_CONFIRM = "handoff_confirm"
HANDOFF_CONTACT = "handoff_contact"
# The handoff's questions (the confirmation by its first sentence, the same with a contact known).
HANDOFF_ASK = {HANDOFF_CONFIRM: WORDING["handoff"]["ask"][HANDOFF_CONFIRM]["text"].split("。")[0],
               HANDOFF_CONTACT: WORDING["handoff"]["ask"][HANDOFF_CONTACT]["text"]}
STATUS_ASK = WORDING["status"]["ask_reference"]


def said(key: str, value: str) -> str:
    """The note 「…」 of intake.yml's `rejected` about `value`, as the bot says it."""
    return REJECTED[key].format(value=plain_text(value))


def texts(reply: list[dict[str, Any]]) -> list[str]:
    return [message["text"] for message in reply if message.get("text")]


def asked_in(reply: list[dict[str, Any]]) -> Optional[str]:
    """The question the bot's reply ends with: a slot of the intake form, of the
    handoff, or None (the form is over, or something else was said)."""
    said_ = texts(reply)
    if not said_:
        return None
    last = said_[-1]
    for slot, question in (*ASK.items(), *HANDOFF_ASK.items()):
        if question in last:
            return slot
    return None


# -- driving the form: each question answered, by default as a customer would -------

DEFAULTS = {
    f.KIND: "開示", f.REQUESTER: "本人です", f.CONSENT: "はい", f.NAME: "多摩 花子",
    f.CONTACT: "090-1234-5678", f.CUSTOMER_NUMBER: "なし", f.DETAILS: "登録されている住所と電話番号",
    f.PRESENTATION: "郵送でコピーを提出します", f.FIX: "お名前", f.CONFIRMED: "この内容で申し込む",
    HANDOFF_CONFIRM: "いいえ", HANDOFF_CONTACT: "090-1234-5678",
}


@dataclass
class Drive:
    """Where a conversation driven by `drive` stopped."""

    asked: Optional[str]           # the question asked last (None: the form is over)
    replies: list[list[dict[str, Any]]]  # every reply on the way

    @property
    def said(self) -> str:
        return "\n".join(text for reply in self.replies for text in texts(reply))


def drive(bot: RestClient, sender: str, asked: Optional[str], answers: Mapping[str, str] = {},
          until: Optional[str] = None, max_turns: int = 20) -> Drive:
    """Answer each question, from `asked` on: `answers[slot]` the first time the
    slot is asked, else DEFAULTS; stops when `until` is asked, when no question
    was asked (the form ended, filed or not) or after `max_turns`."""
    pending = dict(answers)
    replies: list[list[dict[str, Any]]] = []
    for _ in range(max_turns):
        if asked is None or asked == until:
            break
        if until == f.FIX and asked == f.CONFIRMED:
            text = "修正する"
        else:
            text = pending.pop(asked, DEFAULTS[asked])
        reply = bot.say(sender, text)
        assert texts(reply), f"no reply to 「{text}」 at {asked}"
        replies.append(reply)
        asked = asked_in(reply)
    return Drive(asked, replies)


def to_step(bot: RestClient, sender: str, step: str, answers: Mapping[str, str] = {}) -> Drive:
    """A new request (the greeting's 「請求を申し込む」) answered up to `step`."""
    start_request(bot, sender)
    driven = drive(bot, sender, f.KIND, answers, until=step)
    assert driven.asked == step, driven.said[-500:]
    return driven


def summary_of(driven: Drive) -> str:
    summaries = [text for reply in driven.replies for text in texts(reply) if ASK[f.CONFIRMED] in text]
    assert summaries, driven.said[-500:]
    return summaries[-1]


def filed(bot: RestClient, sender: str, asked: Optional[str], answers: Mapping[str, str] = {}) -> tuple[Drive, Ticket]:
    """Answer to the end and confirm: what was said, and the one ticket filed."""
    driven = drive(bot, sender, asked, answers)
    assert receipt_of(driven.said), driven.said[-800:]
    [ticket] = tickets_of(bot, sender)
    return driven, ticket


# -- 1. several answers at once; a value not kept is said, with why --------------------

def test_name_phone_email_and_customer_number_in_one_answer_fill_all_four(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_step(running_bot, sender, f.NAME)
    reply = running_bot.say(sender, "山田太郎です。電話番号は090-1234-5678、メールはtaro@example.jp、"
                                    "お客様番号はTCN-4821-77です")
    said_ = "\n".join(texts(reply))
    # Contacts said masked, as everywhere (bot/intake/echo.py); what else was typed as it was.
    assert WORDING["also_filled"].format(
        fields="ご連絡先（090-＊＊＊＊-5678 / t＊＊＊@example.jp）、お客様番号（TCN-4821-77）") in said_
    assert WORDING["both_contacts"].format(phone="090-＊＊＊＊-5678", email="t＊＊＊@example.jp") in said_
    # Only the rest is asked: the details come next, not the contact or the customer number.
    assert asked_in(reply) == f.DETAILS
    assert ASK[f.CONTACT] not in said_ and ASK[f.CUSTOMER_NUMBER] not in said_
    driven, ticket = filed(running_bot, sender, f.DETAILS)
    summary = summary_of(driven)
    assert "・お名前：山田太郎" in summary and "・お客様番号：TCN-4821-77" in summary
    assert "・ご連絡先：090-＊＊＊＊-5678 / t＊＊＊@example.jp" in summary
    for question in (ASK[f.CONTACT], ASK[f.CUSTOMER_NUMBER], ASK[f.DETAILS]):
        assert question not in driven.said  # never asked (the details: not again)
    assert (ticket.name, ticket.phone, ticket.email, ticket.customer_number) == (
        "山田太郎", "090-1234-5678", "taro@example.jp", "TCN-4821-77")


@pytest.mark.parametrize(("step", "answer", "next_step", "stored"), [
    # A labelled customer number beside the contact: the customer number is not asked.
    (f.CONTACT, "090-1234-5678、お客様番号はTCN-4821-77です", f.DETAILS,
     {"phone": "090-1234-5678", "customer_number": "TCN-4821-77"}),
    # Digits only, labelled: a customer number, not a phone number that is not in use.
    (f.NAME, "山田太郎、お客様番号は12345678です", f.CONTACT,
     {"name": "山田太郎", "customer_number": "12345678"}),
    # At the customer-number step, beside an e-mail address added to the contact.
    (f.CUSTOMER_NUMBER, "TCN-4821-77です。メールはtaro@example.jpにもお願いします", f.DETAILS,
     {"phone": "090-1234-5678", "email": "taro@example.jp", "customer_number": "TCN-4821-77"}),
])
def test_a_customer_number_inside_a_combined_answer_is_kept(
        running_bot: RunningBot, step: str, answer: str, next_step: str, stored: Mapping[str, str]) -> None:
    sender = new_sender()
    to_step(running_bot, sender, step)
    reply = running_bot.say(sender, answer)
    assert asked_in(reply) == next_step, texts(reply)
    assert "受け付けませんでした" not in "\n".join(texts(reply))
    _, ticket = filed(running_bot, sender, next_step)
    for column, value in stored.items():
        assert getattr(ticket, column) == value, column


@pytest.mark.parametrize(("step", "answer", "notes", "phone", "email"), [
    (f.CONTACT, "taro@example", [said("email_invalid", "taro@example")], "090-1234-5678", None),
    (f.CONTACT, "090-1234-5678、080-1111-2222", [said("phone_second", "080-1111-2222")], "090-1234-5678", None),
    (f.CONTACT, "taro@example.jp hanako@example.jp", [said("email_second", "hanako@example.jp")],
     None, "taro@example.jp"),
    # A comma typed for a dot: the whole address is said, nothing of it becomes the name.
    (f.NAME, "山田太郎 taro@example,jp", [said("email_invalid", "taro@example,jp")], "090-1234-5678", None),
    # The tail of a malformed address is no address of its own.
    (f.NAME, "山田太郎 taro*x@example.jp", [said("email_invalid", "taro*x@example.jp")], "090-1234-5678", None),
    # A second phone after the contact was answered: said, not dropped in silence.
    (f.CUSTOMER_NUMBER, "なし。電話は080-1111-2222です", [said("phone_second", "080-1111-2222")],
     "090-1234-5678", None),
])
def test_a_value_recognised_but_not_kept_is_said_with_why(
        running_bot: RunningBot, step: str, answer: str, notes: list[str], phone: Optional[str],
        email: Optional[str]) -> None:
    sender = new_sender()
    to_step(running_bot, sender, step)
    reply = running_bot.say(sender, answer)
    for note in notes:
        assert note in texts(reply), texts(reply)
    _, ticket = filed(running_bot, sender, asked_in(reply))
    assert (ticket.phone, ticket.email) == (phone, email)
    assert ticket.name in ("山田太郎", "多摩 花子")


# The same rules without servers: the readings behind the conversations above.

@pytest.mark.parametrize(("typed", "address"), [
    ("taro*x@example.jp", None), ("t~a~r~o@example.jp", None), ("<b>x</b>@example.jp", None),
    ("メール:taro@example.jp", "taro@example.jp"), ("(taro@example.jp)", "taro@example.jp"),
    ("<taro@example.jp>", "taro@example.jp"), ("taro@example.jpです", "taro@example.jp")])
def test_an_address_is_taken_whole_or_not_at_all(typed: str, address: Optional[str]) -> None:
    assert fields.parse_email(typed) == address


def test_what_says_no_name_is_no_name() -> None:
    assert [fields.parse_name(text) for text in ("なし", "不明", "スキップ")] == [None, None, None]
    assert fields.read_several("taro@example,jp").name is None


def test_a_value_beside_a_button_title_is_not_a_click() -> None:
    from tests.intake_forms import FORM, filled, turn

    slots = {**filled(), f.CUSTOMER_NUMBER: None}
    step = FORM.validate(turn(f.CUSTOMER_NUMBER, "なし 080-1111-2222", **slots))
    assert step.updates[f.CUSTOMER_NUMBER] == "なし" and step.updates.get(f.PHONE) is None
    assert [reply.text for reply in step.replies] == [said("phone_second", "080-1111-2222")]


# -- 2. typed equals clicked, on every step ---------------------------------------------

RECEIPT_NUMBERS = re.compile(r"(?<=受付番号：)PR-\d{8}-[A-Z0-9]{6}|(?<=確認コード：)\d{6}")


@dataclass(frozen=True)
class Choice:
    step: str
    title: str
    clicked: tuple[str, ...]
    typed: tuple[str, ...]
    clicked_buttons: tuple[tuple[str, str], ...]
    typed_buttons: tuple[tuple[str, str], ...]

    def explain(self) -> str:
        return (f"at {self.step}, 「{self.title}」 clicked: {self.clicked} {self.clicked_buttons}\n"
                f"typed: {self.typed} {self.typed_buttons}")


class Twins:
    """Two customers side by side: one clicks each button, the other types its
    title. Everything else they say alike."""

    def __init__(self, bot: RestClient) -> None:
        self.bot = bot
        self.clicker, self.typist = new_sender(), new_sender()
        self.choices: list[Choice] = []

    def say(self, text: str) -> None:
        self.bot.say(self.clicker, text)
        self.bot.say(self.typist, text)

    def choose(self, step: str, title: str) -> Choice:
        """Click `title` (which the clicker's latest reply must offer) and type it."""
        clicked = self.bot.say(self.clicker, self.bot.button(self.clicker, title))
        typed = self.bot.say(self.typist, title)
        choice = Choice(step, title, _masked(clicked), _masked(typed),
                        tuple(self.bot.offered(self.clicker).items()), tuple(self.bot.offered(self.typist).items()))
        self.choices.append(choice)
        return choice

    def asked(self) -> Optional[str]:
        return asked_in(self.bot.latest[self.clicker])


def _masked(reply: list[dict[str, Any]]) -> tuple[str, ...]:
    """The texts of a reply, a receipt's reference and code masked (each conversation has its own)."""
    return tuple(RECEIPT_NUMBERS.sub("…", text) for text in texts(reply))


def same(choice: Choice) -> bool:
    return choice.clicked == choice.typed and choice.clicked_buttons == choice.typed_buttons and bool(choice.typed)


# Each step with a button, and the title typed there, in the order of one walk
# through the form: the summary's 「修正する」 brings each choice back.
WALK: list[tuple[str, str]] = [
    ("greeting", "請求を申し込む"),
    (f.KIND, "訂正"),
    (f.REQUESTER, "代理人（委任を受けた方）"),
    (f.CONSENT, "はい"),
    (f.CUSTOMER_NUMBER, "なし"),
    (f.PRESENTATION, "窓口で提示する"),
    (f.CONFIRMED, "修正する"), (f.FIX, "ご請求される方"), (f.REQUESTER, "法定代理人（親権者・成年後見人など）"),
    (f.CONFIRMED, "修正する"), (f.FIX, "本人確認書類のご提示方法"), (f.PRESENTATION, "郵送でコピーを提出する"),
    (f.CONFIRMED, "修正する"), (f.FIX, "ご請求される方"), (f.REQUESTER, "ご本人"),
    (f.CONFIRMED, "修正する"), (f.FIX, "お客様番号"), (f.CUSTOMER_NUMBER, "なし"),
    (f.CONFIRMED, "修正する"), (f.FIX, "ご請求の種類"), (f.KIND, "第三者提供の停止"),
    # Fields without buttons of their own: both type the same answer again.
    (f.CONFIRMED, "修正する"), (f.FIX, "お名前"),
    (f.CONFIRMED, "修正する"), (f.FIX, "ご連絡先"),
    (f.CONFIRMED, "修正する"), (f.FIX, "ご請求の内容"),
    (f.CONFIRMED, "この内容で申し込む"),
]
# What both say where a step has no button but 「やめる」.
TYPED_ANSWERS = {f.NAME: "多摩 花子", f.CONTACT: "090-1234-5678 taro@example.jp", f.DETAILS: "登録されている住所"}


@dataclass
class Walk:
    choices: list[Choice]
    tickets: tuple[list[Ticket], list[Ticket]]


@pytest.fixture(scope="module")
def walk(running_bot: RunningBot) -> Walk:
    """One walk through the form by the twins; every choice recorded."""
    twins = Twins(running_bot)
    twins.say("こんにちは")
    for step, title in WALK:
        while step != "greeting" and twins.asked() in TYPED_ANSWERS:
            twins.say(TYPED_ANSWERS[twins.asked()])  # type: ignore[index]
        if step != "greeting" and twins.asked() != step or title not in running_bot.offered(twins.clicker):
            break  # lost the way: the steps not reached fail below
        twins.choose(step, title)
    return Walk(twins.choices, (tickets_of(running_bot, twins.clicker), tickets_of(running_bot, twins.typist)))


@pytest.mark.parametrize(("step", "title"), list(dict.fromkeys(WALK)))
def test_typing_a_button_title_does_what_the_click_does(walk: Walk, step: str, title: str) -> None:
    made = [choice for choice in walk.choices if (choice.step, choice.title) == (step, title)]
    assert made, f"the walk never reached {step} to choose 「{title}」: {[c.title for c in walk.choices]}"
    for choice in made:
        assert same(choice), choice.explain()


def test_the_typed_walk_files_the_same_request_as_the_clicked_one(walk: Walk) -> None:
    clicked, typed = walk.tickets
    assert len(clicked) == len(typed) == 1
    columns = ("kind", "requester", "name", "phone", "email", "customer_number", "details", "id_presentation")
    assert [getattr(typed[0], c) for c in columns] == [getattr(clicked[0], c) for c in columns]
    assert (typed[0].kind, typed[0].requester, typed[0].id_presentation, typed[0].customer_number) == (
        "第三者提供の停止", "本人", "郵送でコピー提出", None)


# The ways out and the other menus: each in a short conversation of its own.
# (the step reached first, the title typed and clicked there, what both must show)
WAYS_OUT: dict[str, tuple[str, str, str]] = {
    "greeting-受付状況の確認": ("greeting", "受付状況の確認", STATUS_ASK),
    # 「確認コードをなくしました」 mid-form: the contact point and the offer of a person.
    "details-lost-担当者と話す": (f.DETAILS, "担当者と話す", HANDOFF_ASK[HANDOFF_CONFIRM]),
    "status-やめる": ("status", "やめる", WORDING["status"]["cancelled"]),
    "kind-やめる": (f.KIND, "やめる", WORDING["cancelled"]),
    "consent-いいえ": (f.CONSENT, "いいえ", WORDING["declined"]),
    "consent-やめる": (f.CONSENT, "やめる", WORDING["cancelled"]),
    "name-やめる": (f.NAME, "やめる", WORDING["cancelled"]),
    "name-担当者と話す": (f.NAME, "担当者と話す", HANDOFF_ASK[HANDOFF_CONFIRM]),
    "presentation-やめる": (f.PRESENTATION, "やめる", WORDING["cancelled"]),
    "summary-やめる": (f.CONFIRMED, "やめる", WORDING["cancelled"]),
}


@pytest.mark.parametrize("case", list(WAYS_OUT))
def test_typing_a_way_out_does_what_its_click_does(running_bot: RunningBot, case: str) -> None:
    step, title, expected = WAYS_OUT[case]
    twins = Twins(running_bot)
    if step == "greeting":
        twins.say("こんにちは")
    elif step == "status":
        twins.say("受付状況を確認したい")
    else:
        for sender in (twins.clicker, twins.typist):
            to_step(running_bot, sender, step)
    if "lost" in case:
        twins.say("確認コードをなくしました")
    elif title == "担当者と話す":
        # Offered after the third answer that could not be used.
        for _ in range(3):
            twins.say(NOT_UNDERSTOOD)
    choice = twins.choose(step, title)
    assert same(choice), choice.explain()
    assert expected in "\n".join(choice.typed)
    if title == "担当者と話す":
        # The handoff's own 「はい」 or 「いいえ」, typed and clicked.
        answer, then = ("はい", HANDOFF_ASK[HANDOFF_CONTACT]) if "lost" in case else (
            "いいえ", WORDING["handoff"]["declined"])
        choice = twins.choose(HANDOFF_CONFIRM, answer)
        assert same(choice), choice.explain()
        assert then in "\n".join(choice.typed)
    assert tickets_of(running_bot, twins.clicker) == tickets_of(running_bot, twins.typist) == []


# -- 3. what the customer typed comes back as plain text, on socket.io too ---------------

# Markup that a Markdown or HTML renderer would turn into a link, bold or a tag.
MARKUP = re.compile(r"\[|\]|<|>|\*|_|`|://")


class SocketCustomer:
    """A customer on the socket.io channel: types, and reads every bot message until
    the next question of the form."""

    def __init__(self, chat: SocketChat) -> None:
        self.chat = chat

    def say(self, text: str, until: str) -> list[str]:
        self.chat.say(text)
        got: list[str] = []
        while not got or until not in got[-1]:
            try:
                message = self.chat.replies.get(timeout=60)
            except queue.Empty:
                pytest.fail(f"no 「{until}」 after 「{text}」: {got}")
            if message.get("text"):
                got.append(message["text"])
        return got


@pytest.fixture
def socket_customer(running_bot: RunningBot) -> Iterator[SocketCustomer]:
    with socket_chat(running_bot, new_sender()) as chat:
        yield SocketCustomer(chat)


def shown(messages: list[str], label: str) -> str:
    """The value on the summary's line 「・label：value」 in the last summary of `messages`."""
    summary = [message for message in messages if ASK[f.CONFIRMED] in message][-1]
    return summary.split(f"・{label}：")[1].split("\n")[0]


def test_markup_typed_comes_back_as_plain_text_over_socketio(socket_customer: SocketCustomer) -> None:
    you = socket_customer
    you.say("開示を請求したい", ASK[f.REQUESTER])
    you.say("本人です", ASK[f.CONSENT])
    you.say("はい", ASK[f.NAME])
    # Notes that repeat a value: 「…も承りました」 and 「…受け付けませんでした」, with markup in the value.
    notes = you.say("多摩 花子、__taro__@example.jp、**強調**@example", ASK[f.CUSTOMER_NUMBER])
    repeated = [note for note in notes if "@example" in note]
    assert any("も承りました" in note and "＿＊＊＊@example.jp" in note for note in repeated), notes
    assert any("受け付けませんでした" in note and "＊＊強調＊＊@example" in note for note in repeated), notes
    you.say("なし", ASK[f.DETAILS])
    you.say("[公式ログイン](http://example.com)", ASK[f.PRESENTATION])
    summary = you.say("窓口で提示します", ASK[f.CONFIRMED])
    details = [shown(summary, "ご請求の内容")]
    assert shown(summary, "ご連絡先") == "＿＊＊＊@example.jp"
    for typed in ("<b>太字</b>", "**強調**"):
        you.say("修正する", ASK[f.FIX])
        you.say("ご請求の内容", ASK[f.DETAILS])
        summary = you.say(typed, ASK[f.CONFIRMED])
        details.append(shown(summary, "ご請求の内容"))
    assert [value.replace("：", ":") for value in details] == [
        "［公式ログイン］（http://example.com）", "＜b＞太字＜/b＞", "＊＊強調＊＊"]
    for message in [*details, *repeated, *summary]:
        assert not MARKUP.search(message), message
    # A second e-mail address with markup, at the contact step asked again.
    you.say("修正する", ASK[f.FIX])
    you.say("ご連絡先", ASK[f.CONTACT])
    notes = you.say("taro@example.jp、__hanako__@example.jp", ASK[f.CONFIRMED])
    second = [note for note in notes if "hanako" in note]
    assert second and all("＿＿hanako＿＿@example.jp" in note and not MARKUP.search(note) for note in second)


def test_no_customer_text_can_make_the_chat_page_draw_a_receipt() -> None:
    """web/chat.js draws a receipt card for 「受付番号：PR-…」 and 「確認コード：…」 with the
    full-width colon the bot writes; customer text is normalized to the ASCII colon
    where it enters (bot/channels/guard.py), so no summary echoes one."""
    typed = normalize("受付番号：PR-20261130-ABC234 確認コード：123456")
    assert "：" not in typed and "：" not in plain_text(typed)


# -- 4. any text at any step: a reply, and only values that parse are stored ----------

STEPS = (f.KIND, f.REQUESTER, f.CONSENT, f.NAME, f.CONTACT, f.CUSTOMER_NUMBER, f.DETAILS, f.PRESENTATION,
         f.CONFIRMED, f.FIX)
FRAGMENTS = [
    "山田太郎", "多摩 花子", "Taro Yamada", "090-1234-5678", "090-0000-0000", "０８０１１１１２２２２",
    "taro@example.jp", "taro@example,jp", "a*b@example.jp", "お客様番号はTCN-4821-77", "12345678", "なし",
    "はい", "いいえ", "まだ？", "やめ", "本人", "代理人", "郵送", "窓口", "修正", "削除", "なんで？",
    "[公式ログイン](http://example.com)", "<b>太字</b>", "**強調**", "/affirm", '/inform{"intake_name":"X"}',
    "/restart", "PR-20261130-ABC234", "123456", "ちょっと待って", "ありがとう", "😀", "ｱｲｳ", "　",
]
TEXTS = st.one_of(
    st.text(max_size=40),
    st.tuples(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4),
              st.sampled_from(["", " ", "、", "。", "\n"])).map(lambda pair: pair[1].join(pair[0])),
)


def assert_parses(ticket: Ticket) -> None:
    """Every field of `ticket` is what its parser makes of it."""
    if ticket.category == "request":
        assert ticket.kind in KINDS and ticket.requester in REQUESTERS
        assert ticket.id_presentation in ID_PRESENTATIONS
        assert fields.parse_name(ticket.name) == ticket.name
        assert ticket.customer_number is None or (
            fields.parse_customer_number(ticket.customer_number) == ticket.customer_number != fields.NO_CUSTOMER_NUMBER)
        assert ticket.details is None or fields.parse_details(ticket.details) == ticket.details
    assert ticket.phone or ticket.email
    assert ticket.phone is None or fields.parse_phone(ticket.phone) == ticket.phone
    assert ticket.email is None or fields.parse_email(ticket.email) == ticket.email


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(step=st.sampled_from(STEPS), text=TEXTS)
def test_any_text_at_any_step_gets_a_reply_and_stores_only_what_parses(
        running_bot: RunningBot, step: str, text: str) -> None:
    sender = new_sender()
    to_step(running_bot, sender, step)
    reply = running_bot.say(sender, text)
    assert texts(reply), f"no reply to {text!r} at {step}"
    drive(running_bot, sender, asked_in(reply))
    tickets = tickets_of(running_bot, sender)
    event(f"{len(tickets)} ticket(s)")
    for ticket in tickets:
        assert_parses(ticket)
