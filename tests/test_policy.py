"""The policy as data, and the answers rendered from it (no model needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.policy.answers import PROCEDURE, Answerer, load_wording
from bot.policy.document import load_policy
from bot.settings import CompanySettings

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy()
WORDING = load_wording()
ANSWERER = Answerer(POLICY, WORDING)
TOPICS = [t for t in WORDING["topics"] if t != "out_of_scope"]
# A number with a unit of money, days or years: only configuration may supply one.
COUNTED = re.compile(r"[0-9０-９]+\s*(円|日|営業日|週間|か月|ヶ月|カ月|年)")

ENTITY_VALUES = {
    "data_item": POLICY.fact("1.(1)", "data_items") + ["好きな色"],
    "purpose": sorted({p for n in POLICY["2.(3)"].children for p in n.facts["purposes"]}),
    "request_kind": POLICY.fact("5.(1)", "request_kinds"),
    "id_document": ["運転免許証", "パスポート", "マイナンバーカード"],
    "requester": ["本人", "代理人", "法定代理人"],
    "ticket_ref": ["PR-20261128-ABC234"],
}


def every_answer(answerer: Answerer):
    """Each topic without entities, with each entity value, and as a follow-up."""
    for topic in list(WORDING["topics"]):
        yield topic, answerer.answer(topic)
        for entity, values in ENTITY_VALUES.items():
            for value in values:
                yield topic, answerer.answer(topic, {entity: [value]})
                yield topic, answerer.answer(topic, context={entity: [value]})


def test_every_section_and_numbered_item_is_present() -> None:
    assert [s.ref for s in POLICY.sections] == [str(n) for n in range(1, 13)]
    children = lambda ref: [c.number for c in POLICY[ref].children]  # noqa: E731
    assert children("1") == ["(1)", "(2)", "(3)"]
    assert children("2.(3)") == list("①②③④⑤⑥")
    assert children("3") == ["(1)", "(2)", "(3)", "(4)", "(5)"]
    assert children("4") == ["(1)", "(2)", "(3)"]
    assert children("5.(1)") == list("①②③④⑤⑥⑦")
    assert children("5.(2)") == list("①②③④⑤")
    assert children("6") == ["(1)", "(2)", "(3)", "(4)"]
    assert children("10.(1)") == list("①②③")
    assert POLICY.fact("11", "contact") == {
        "name": "多摩ケーブルネットワーク株式会社 総務部情報管理担当",
        "address": "東京都青梅市新町7-4-3",
        "tel": "0428-32-1351",
        "email": "safe@tcnnet.co.jp",
    }


@pytest.mark.parametrize(
    "published_error",
    ["しします", "おお客様", "業務ため", "下記1～2", "3. (2)～(6)", "第197項", "次の1～4",
     "5の手続き", "前(1)項2", "5.(1)項に該当"],
)
def test_errata_are_applied(published_error: str) -> None:
    assert all(published_error not in node.text for node in POLICY.walk())


def test_section_10_does_not_repeat_section_9() -> None:
    assert POLICY["10"].text == ""
    assert all(POLICY["9"].text not in node.text for node in POLICY["10"].children)


def test_structured_quotes_are_taken_from_their_node() -> None:
    for node in POLICY.walk():
        for key in ("procedure", "verification", "refusal_lead", "proviso", "proxy",
                    "legal_representative"):
            if key in node.facts:
                assert node.facts[key] in node.text, (node.ref, key)


def test_policy_text_matches_the_published_text_apart_from_errata() -> None:
    published = ROOT / "data" / "policy" / "published" / "security_policy.txt"
    source = re.sub(r"\s", "", published.read_text(encoding="utf-8"))
    # Items whose text the errata leave untouched appear verbatim in the source.
    errata_refs = {"2.(2)", "2.(3)", "2.(3)④", "2.(4)", "3.(5)", "5.(2)", "5.(2)⑤", "10.(2)", "6.(2)"}
    for node in POLICY.walk():
        if node.text and node.ref not in errata_refs:
            assert re.sub(r"\s", "", node.text) in source, node.ref


@pytest.mark.parametrize("topic", TOPICS)
def test_every_policy_answer_cites_a_section(topic: str) -> None:
    answer = ANSWERER.answer(topic)
    assert answer.citations
    assert f"出典：セキュリティポリシー {answer.citations[0]}" in answer.text


def test_every_section_is_the_source_of_some_answer() -> None:
    cited = {ref.split(".")[0] for topic in TOPICS for ref in ANSWERER.answer(topic).citations}
    assert cited == {str(n) for n in range(1, 13)}


def test_no_answer_states_an_amount_or_a_period_the_policy_does_not() -> None:
    for topic, answer in every_answer(ANSWERER):
        assert not COUNTED.search(answer.text), (topic, answer.text)


def test_a_configured_fee_is_shown_and_only_then() -> None:
    configured = Answerer(POLICY, WORDING, CompanySettings(disclosure_fee="1件につき1,000円"))
    assert "1件につき1,000円" in configured.answer("ask_fee", {"request_kind": ["開示"]}).text
    assert "1,000円" not in configured.answer("ask_fee", {"request_kind": ["訂正"]}).text
    unconfigured = ANSWERER.answer("ask_fee", {"request_kind": ["開示"]}).text
    assert "金額は、セキュリティポリシーには記載されていません" in unconfigured
    assert "safe@tcnnet.co.jp" in unconfigured


def test_account_number_question_gets_the_billing_purpose_only() -> None:
    answer = ANSWERER.answer("ask_purpose", {"data_item": ["口座番号"]})
    assert "料金の請求・収納" in answer.text
    assert "アンケート" not in answer.text
    assert answer.citations == ("2.(3)①",)


def test_each_purpose_alone() -> None:
    answer = ANSWERER.answer("ask_purpose", {"purpose": ["案内・アンケート"]})
    assert "各種アンケート調査" in answer.text and answer.citations == ("2.(3)②",)
    assert "料金請求" not in answer.text


def test_data_item_without_a_stated_purpose_says_so() -> None:
    answer = ANSWERER.answer("ask_purpose", {"data_item": ["生年月日"]})
    assert "記載されていません" in answer.text and "0428-32-1351" in answer.text


def test_passport_is_accepted_with_the_other_documents() -> None:
    text = ANSWERER.answer("ask_documents", {"id_document": ["パスポート"]}).text
    assert text.startswith("はい、パスポートは本人確認書類としてご利用いただけます")
    for document in ("運転免許証", "健康保険証", "その他本人の確認ができる書類"):
        assert document in text


def test_a_document_the_policy_does_not_name_is_referred_to_the_contact_point() -> None:
    text = ANSWERER.answer("ask_documents", {"id_document": ["マイナンバーカード"]}).text
    assert not text.startswith("はい")
    assert "④その他本人の確認ができる書類" in text and "safe@tcnnet.co.jp" in text


@pytest.mark.parametrize(("requester", "expected"),
                         [("代理人", "委任状"), ("法定代理人", "法定代理人であることを証明")])
def test_proxies(requester: str, expected: str) -> None:
    assert expected in ANSWERER.answer("ask_documents", {"requester": [requester]}).text


def test_fee_follow_up_uses_the_request_kind_from_the_conversation() -> None:
    assert "手数料がかかります" in ANSWERER.answer("ask_fee", context={"request_kind": ["開示"]}).text
    assert "手数料の定めがありません" in ANSWERER.answer("ask_fee", context={"request_kind": ["削除"]}).text
    # the latest message wins over what was said before
    latest = ANSWERER.answer("ask_fee", {"request_kind": ["訂正"]}, {"request_kind": ["開示"]})
    assert "「訂正」の請求について" in latest.text


@pytest.mark.parametrize("topic", ["ask_response_time", "ask_retention"])
def test_silent_periods_are_said_to_be_unstated(topic: str) -> None:
    text = ANSWERER.answer(topic).text
    assert "記載されていません" in text and "0428-32-1351" in text


def test_procedure_answer_is_short_and_offers_the_steps_and_the_form() -> None:
    answer = ANSWERER.answer("ask_request_procedure", {"request_kind": ["開示"]})
    for expected in ("内容をお知らせする", "当社所定の書式", "このチャット"):
        assert expected in answer.text
    assert len(answer.text) <= 250 and answer.citations == ("5.(1)",)
    assert [b.payload for b in answer.buttons][:2] == [
        "/ask_more_detail", '/request_privacy_action{"request_kind":"開示"}']


def test_procedure_steps_name_the_form_documents_fee_and_result() -> None:
    text = ANSWERER.procedure_steps(["開示"]).text
    for expected in ("当社所定の書式", "運転免許証", "委任状", "手数料", "しないことがあります", "遅滞なく"):
        assert expected in text
    assert "手数料" not in ANSWERER.procedure_steps(["訂正"]).text


def test_out_of_scope_is_not_answered_as_a_policy_topic() -> None:
    answer = ANSWERER.answer("out_of_scope")
    assert not answer.citations and "個人情報の取扱い" in answer.text
    configured = Answerer(POLICY, WORDING, CompanySettings(general_contact="お客様センター"))
    assert "お客様センター" in configured.answer("out_of_scope").text


def test_clarify_offers_likely_topics_then_none_of_these() -> None:
    answer = ANSWERER.clarify(["nlu_fallback", "ask_fee", "out_of_scope", "ask_documents", "greet", "ask_leak",
                               "ask_laws"])
    assert [b.payload for b in answer.buttons] == ["/ask_fee", "/ask_documents", "/ask_leak", "/out_of_scope"]
    assert [b.title for b in answer.buttons][:3] == ["手数料", "本人確認書類", "漏洩時の措置"]


def test_entity_values_in_training_data_are_known_to_the_policy() -> None:
    known = {entity: set(values) for entity, values in ENTITY_VALUES.items() if entity != "id_document"}
    known["data_item"].discard("好きな色")
    pattern = re.compile(r'\[([^\]]+)\](?:\((\w+)\)|\{"entity": "(\w+)", "value": "([^"]+)"\})')
    for file in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(file.read_text(encoding="utf-8"))["nlu"]:
            for match in pattern.finditer(block.get("examples", "")):
                text, short_entity, entity, value = match.groups()
                entity = entity or short_entity
                if entity in known:
                    assert (value or text) in known[entity], (file.name, match.group(0))


def test_clarify_falls_back_to_the_main_topics_when_the_ranking_has_none() -> None:
    answer = ANSWERER.clarify(["nlu_fallback"])
    assert [b.payload for b in answer.buttons] == [
        "/ask_definition", "/ask_purpose", "/ask_request_procedure", "/out_of_scope"]


# What a summary may not invent: numbers (with circled ones), Latin words and
# addresses, katakana words and 「」-quoted terms.
_SUMMARY_FACTS = re.compile(r"[0-9][0-9.,\-]*|[①-⑩]|[A-Za-z][\w.@\-]*|[ァ-ヶー]{2,}|「[^」]+」")


def _source_text(node) -> str:
    """What a node's summary may restate: its own text, its items' (a section
    without text of its own is summarised from its items) and, for 11, the contact."""
    parts = [node.ref, node.title, node.text, *(_source_text(child) for child in node.children)]
    parts.extend(str(value) for value in node.facts.get("contact", {}).values())
    return re.sub(r"\s", "", "".join(parts))


@pytest.mark.parametrize("node", [n for n in POLICY.walk()], ids=lambda n: n.ref)
def test_every_clause_has_a_summary_that_only_restates_it(node) -> None:
    assert node.summary, f"{node.ref} has no summary"
    assert len(node.summary) <= 160, node.ref
    assert len(node.words) >= 3, f"{node.ref}: too few customer words"
    source = _source_text(node)
    invented = [fact for fact in _SUMMARY_FACTS.findall(node.summary) if fact.strip("「」") not in source]
    assert not invented, f"{node.ref}: {invented} is not in the clause"


def test_the_fact_check_of_summaries_can_fail() -> None:
    node = POLICY["5.(3)"]
    assert "1,000" not in _source_text(node)
    assert [f for f in _SUMMARY_FACTS.findall("手数料は1,000円です") if f not in _source_text(node)] == ["1,000"]


def test_every_answer_cites_the_clauses_it_restates() -> None:
    """A summary in an answer comes with the citation of its own clause."""
    for _, answer in every_answer(ANSWERER):
        for node in POLICY.walk():
            if node.summary and node.summary in answer.text:
                assert node.ref in answer.citations, (answer.topic, node.ref)


def _bot_sentences(text: str) -> str:
    """An answer without the quoted policy text (全文) and the citation."""
    quoted = {node.text for node in POLICY.walk() if node.text}
    return "\n".join(line for line in text.splitlines()
                     if not any(q and q in line for q in quoted) and not line.startswith("（出典"))


def test_answers_speak_in_the_bots_register_without_doubled_markers() -> None:
    for topic, answer in every_answer(ANSWERER):
        own = _bot_sentences(answer.text)
        assert not re.search(r"・[①-⑩(（]", answer.text), (topic, answer.text)
        assert "下さい" not in own and "どういたしまして" not in own, (topic, own)
    for node in POLICY.walk():
        assert "下さい" not in node.summary and not re.search(r"(だ|である)。", node.summary), node.ref


def test_the_request_kinds_are_one_list() -> None:
    """The policy's eight kinds of 5.(1) are the case database's (bot/cases/models.py)."""
    from bot.cases.models import KINDS

    assert tuple(POLICY.fact("5.(1)", "request_kinds")) == KINDS


# Clause choice within a topic (issue 13): the clause that answers the kind of
# question, not the clause that shares the most context words with it.
@pytest.mark.parametrize(("topic", "text", "expected"), [
    ("ask_outsourcing", "外注先には私の情報をまるごと渡しているの？", "6.(1)"),
    ("ask_outsourcing", "いたくさきには どこまで じょうほうを わたしてるの", "6.(1)"),
    ("ask_outsourcing", "委託会社へはどういう手段で情報を送っていますか", "6.(2)"),
    ("ask_outsourcing", "業者の扱いを直すように頼んで、だめだったら理由は説明してもらえる？", "6.(4)"),
    ("ask_leak", "情報が流出したら、会社として公に発表するのですか", "10.(1)②"),
    ("ask_leak", "漏えいしたら本人に知らせてもらえますか", "10.(1)①"),
    ("ask_third_party", "詐欺の被害を防ぐために、銀行に私の情報を伝えることはありますか", "3.(1)"),
    ("ask_refusal", "会社に都合の悪いことは開示しないの？", "5.(1)②"),
    ("ask_refusal", "他国との交渉に差し支える場合は開示されないのですか", "5.(1)④"),
    ("ask_purpose", "ほかの会社が私の個人情報を使うこともあるのですか", "2.(2)"),
    ("ask_purpose", "営業の人が家に来るのは、私の情報を使っているからですか", "2.(3)②"),
    ("ask_purpose", "購入した機器の定期点検で名前を使うの？", "2.(3)⑤"),
    ("ask_response_time", "開示を断られるときも、連絡はもらえますか", "5.(4)"),
])
def test_the_clause_asked_about_wins_within_its_topic(topic: str, text: str, expected: str) -> None:
    assert ANSWERER.answer(topic, text=text).citations[0] == expected


def test_words_every_clause_shares_do_not_decide_between_them() -> None:
    """委託先 is in every item of 6: 方法 alone tells 6.(2) from 6.(1)."""
    text = "委託先へはどういう方法で個人情報を渡しているんですか"
    first, second = ANSWERER.ranker.rank(text, within=["6"], limit=2)
    assert first.score < 1.25 * second.score  # the whole scores are too close to tell
    shared = ANSWERER.ranker.shared(text, first.ref, second.ref)
    assert 0 < shared < second.score
    focused = ANSWERER.focus(WORDING["topics"]["ask_outsourcing"], text)
    assert focused is not None and focused.ref == "6.(2)"


def test_items_that_tie_are_answered_by_their_node() -> None:
    # 5.(2)①–④ fit a question about documents alike, whatever comes between them.
    node = ANSWERER.focus(WORDING["topics"][PROCEDURE], "開示請求のときに必要な書類を教えてください")
    assert node is not None and node.ref == "5.(2)"
