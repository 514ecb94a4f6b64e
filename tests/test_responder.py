"""Choosing what to answer: the clause ranker, follow-ups, two questions, tone,
and messages that are no words at all (no model needed)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message as RasaMessage

from bot.nlu.entity_values import KnownEntityValues
from bot.noise import noise_kind
from bot.policy.answers import Answerer, load_wording
from bot.policy.document import load_policy
from bot.policy.lemmas import lemmas
from bot.policy.ranker import ClauseRanker
from bot.policy.responder import Context, Message, Responder, is_elliptic, questions
from bot.policy.tone import Tone, tone_of

POLICY = load_policy()
ANSWERER = Answerer(POLICY, load_wording())
RESPONDER = Responder(ANSWERER)
RANKER = ClauseRanker(POLICY)


@pytest.mark.parametrize(("text", "expected"), [
    ("けいさつに情報わたすの？", "3.(5)"),
    ("令状を持って来られたら出しちゃうんですか", "3.(4)"),
    ("DMがしつこいんだけど", "2.(3)②"),
    ("委任状ってどう書けばいい", "5.(2)⑤"),
    ("マイナンバーカードは使えますか", "5.(2)④"),
    ("漏れたら総務省に言うの？", "10.(1)③"),
    ("業者に渡すときは紙ですか", "6.(2)"),
    # a negated word is its own token: not 10.(1)② (公表します)
    ("漏洩を公表しないこともあるの？", "10.(2)"),
])
def test_the_ranker_finds_the_clause_a_customer_means(text: str, expected: str) -> None:
    assert RANKER.rank(text, limit=1)[0].ref == expected


def test_negation_is_kept_with_the_word_it_negates() -> None:
    assert lemmas("公表しないケース") == ["公表", "公表ない", "ケース"]
    assert "提供ない" in lemmas("提供いたしません")
    # 「もらえない」 negates もらう, not 開示: no negated 開示
    assert lemmas("電話で開示してもらえないの？") == ["電話", "開示"]


def test_the_ranker_stays_within_the_scope_it_is_given() -> None:
    assert {r.ref for r in RANKER.rank("警察 令状 代理人 委任状", within=["5.(2)"])} <= {
        n.ref for n in POLICY.walk() if n.ref.startswith("5.(2)")}
    assert RANKER.rank("？！…") == []


def ask(text: str, intent: str, context: Context = Context(), **entities: list[str]) -> tuple:
    reply = RESPONDER.respond(Message(text, intent, 0.9, entities), context)
    return reply, "\n".join(answer.text for answer in reply.answers)


def test_a_question_about_one_item_gets_that_item_in_a_few_sentences() -> None:
    reply, text = ask("警察から問い合わせがあったら私の情報を渡すんですか？", "ask_third_party")
    assert reply.clauses == ("3.(5)",) and "通信の秘密" in text and len(text) <= 250
    assert [b.title for b in reply.answers[0].buttons][0] == "原文を見る"


def test_more_detail_shows_the_full_text_of_what_was_summarised() -> None:
    first, _ = ask("警察に情報を渡しますか", "ask_third_party")
    reply, text = ask("もっと詳しく", "ask_more_detail", Context(first.topic, first.clauses))
    assert POLICY["3.(5)"].text in text and reply.clauses == ("3.(5)",)


def test_more_detail_of_the_procedure_gives_every_step() -> None:
    first, _ = ask("削除ってどう申し込むの", "ask_request_procedure", request_kind=["削除"])
    _, text = ask("もっと詳しく", "ask_more_detail", Context(first.topic, first.clauses, "削除"))
    assert "本人確認" in text and "遅滞なく" in text


def test_more_detail_without_a_previous_answer_asks_what_about() -> None:
    reply, text = ask("もっと詳しく", "ask_more_detail")
    assert reply.topic == "clarify" and "分かりませんでした" in text


@pytest.mark.parametrize(("previous", "follow_up", "intent", "expected"), [
    ("ask_documents", "代理人の場合は？", "ask_request_procedure", "5.(2)⑤"),
    ("ask_third_party", "じゃあ裁判所の場合は？", "ask_fee", "3.(4)"),
    ("ask_outsourcing", "それってやめてもらえる？", "cancel", "6.(3)"),
    ("ask_leak", "公表しない場合もあるの？", "ask_third_party", "10.(2)"),
])
def test_a_follow_up_is_answered_against_the_previous_topic(previous: str, follow_up: str, intent: str,
                                                           expected: str) -> None:
    reply, _ = ask(follow_up, intent, Context(previous, (POLICY[ANSWERER.topics[previous]["scope"][0]].ref,)))
    assert reply.topic == previous and expected in reply.clauses


@pytest.mark.parametrize(("previous", "clauses", "follow_up", "intent", "expected"), [
    # the response-time clause of outsourcing, not the general 5.(4)
    ("ask_outsourcing", ("6.(3)",), "何日くらい？", "ask_response_time", "6.(4)"),
    # the outsourcing clause of the security section, not section 6
    ("ask_security", ("4",), "委託先のほうも大丈夫なの？", "ask_outsourcing", "4.(3)"),
    # a question of its own that fits the shared clause
    ("ask_outsourcing", ("6.(3)",), "だめだった時は理由も教えてくれる？", "ask_response_time", "6.(4)"),
])
def test_a_follow_up_on_another_topic_gets_its_clause_within_the_previous_topic(
        previous: str, clauses: tuple, follow_up: str, intent: str, expected: str) -> None:
    reply, _ = ask(follow_up, intent, Context(previous, clauses))
    assert reply.clauses == (expected,)


def test_a_shared_clause_keeps_the_thread_of_the_previous_topic() -> None:
    first, _ = ask("だめだった時は理由も教えてくれる？", "ask_response_time", Context("ask_outsourcing", ("6.(3)",)))
    assert first.topic == "ask_outsourcing"
    second, _ = ask("何日くらい？", "ask_response_time", Context(first.topic, first.clauses))
    assert second.clauses == ("6.(4)",)


@pytest.mark.parametrize(("previous", "kind"), [("ask_purpose", "利用停止"), ("ask_third_party", "第三者提供の停止")])
def test_asking_to_stop_what_was_just_explained_offers_the_request_that_stops_it(previous: str, kind: str) -> None:
    reply, text = ask("それってやめてもらえる？", "cancel", Context(previous, ("2.(3)",)))
    # Answered in the thread it was asked in; a 「はい」 next files the kind offered.
    assert reply.topic == previous and reply.request_kind == kind and "5.(1)" in reply.clauses
    assert f"「{kind}」" in text
    assert any(button.payload == f'/request_privacy_action{{"request_kind":"{kind}"}}'
               for button in reply.answers[0].buttons)


@pytest.mark.parametrize(("said", "intent", "kind", "about"), [
    ("ダイレクトメールが届かないようにするにはどうすればいいですか", "ask_request_procedure", "利用停止", "2.(3)②"),
    ("勧誘の電話をやめてもらうことってできる？", "ask_purpose", "利用停止", "2.(3)②"),
    ("ほかの会社には私の情報を渡さないでほしいのですが、できますか", "ask_third_party", "第三者提供の停止", "3"),
])
def test_asking_how_to_stop_something_gets_the_request_that_stops_it(
        said: str, intent: str, kind: str, about: str) -> None:
    reply, text = ask(said, intent)
    assert reply.request_kind == kind and set(reply.clauses) == {about, "5.(1)"}
    assert f"「{kind}」をご請求いただけます" in text and len(text) <= 300


@pytest.mark.parametrize(("said", "kind"), [
    ("もう案内とかいらないから、俺の情報使うのやめて", "利用停止"),
    ("ダイレクトメールが届かないようにしてください", "利用停止"),
    ("よその会社に私の情報を渡さないでください", "第三者提供の停止"),
])
def test_telling_what_to_stop_starts_the_request_that_stops_it(said: str, kind: str) -> None:
    reply, _ = ask(said, "ask_purpose")
    assert reply.starts_request and reply.request_kind == kind and reply.answers == ()


def test_not_receiving_mail_is_no_wish_to_stop_it() -> None:
    reply, _ = ask("DMが届かないんですけど", "ask_purpose")
    assert reply.request_kind is None


def test_a_stop_ask_in_the_thread_names_the_purpose_it_stops() -> None:
    reply, text = ask("DMはやめてほしいんだけど", "request_privacy_action", Context("ask_purpose", ("2.(3)",)))
    assert reply.topic == "ask_purpose" and reply.clauses == ("2.(3)②", "5.(1)")
    assert "ダイレクトメール" in text and "「利用停止」" in text


def test_what_for_after_a_data_item_gives_the_purposes_of_that_item() -> None:
    reply, text = ask("それは何のため？", "ask_verification_reason",
                      Context("ask_definition", ("1.(1)",), None, "口座番号"))
    assert reply.topic == "ask_purpose" and text.startswith("口座番号") and "2.(3)①" in reply.clauses


def test_a_question_of_its_own_after_an_answer_is_not_bent_to_it() -> None:
    reply, _ = ask("本人確認書類は何が必要ですか", "ask_documents", Context("ask_outsourcing", ("6.(3)",)))
    assert reply.topic == "ask_documents" and reply.clauses == ("5.(2)",)


def test_everything_after_an_answer_shows_the_whole_topic_not_only_its_clause() -> None:
    first, _ = ask("市役所に情報を渡すことある？", "ask_third_party")
    assert len(first.clauses) == 1
    reply, text = ask("ぜんぶおしえて", "ask_more_detail", Context(first.topic, first.clauses))
    assert all(POLICY[ref].text in text for ref in ("3.(1)", "3.(4)", "3.(5)"))


def test_a_follow_up_with_an_entity_of_the_previous_topic_keeps_the_topic() -> None:
    reply, text = ask("訂正でもかかる？", "request_privacy_action", Context("ask_fee", ("5.(3)",)),
                      request_kind=["訂正"])
    assert reply.topic == "ask_fee" and "「訂正」" in text


def test_a_new_question_is_not_taken_for_a_follow_up() -> None:
    reply, _ = ask("本人確認にはどんな書類が必要ですか", "ask_documents", Context("ask_leak", ("10",)))
    assert reply.topic == "ask_documents"


def test_two_questions_get_two_cited_answers() -> None:
    reply, text = ask("手数料はかかりますか？あと、警察に情報を渡すことはある？", "ask_fee")
    assert [a.topic for a in reply.answers] == ["ask_fee", "ask_third_party"]
    assert "5.(3)" in reply.answers[0].citations and "3.(5)" in reply.answers[1].citations


@pytest.mark.parametrize(("text", "kinds", "topic", "clause"), [
    # a step of the request with a topic of its own: the documents of 5.(2), all four
    ("開示請求のときに必要な書類を教えてください", ["開示"], "ask_documents", "5.(2)"),
    ("削除の請求って結果はいつ連絡くる？", ["削除"], "ask_response_time", "5.(4)"),
    # 第三者 also occurs in 5.(1)①, a refusal ground, which is no step of the procedure
    ("第三者への提供を止めてもらう請求ってできますか", [], "ask_request_procedure", "5.(1)"),
])
def test_a_procedure_question_about_one_step_gets_that_step(text: str, kinds: list, topic: str,
                                                            clause: str) -> None:
    reply, _ = ask(text, "ask_request_procedure", Context(), **({"request_kind": kinds} if kinds else {}))
    assert reply.topic == topic and reply.clauses[0] == clause


@pytest.mark.parametrize(("text", "intent", "what"), [
    ("窓口の受付時間って決まってますか？土日もやってる？", "ask_contact", "受付時間"),
    ("個人情報保護管理者って誰？名前と役職を教えて", "ask_security", "氏名"),
    ("委託してる会社ってどこ？社名が知りたい", "ask_outsourcing", "会社名"),
    ("「当社の掲示板」ってどこにあるんですか？", "ask_policy_change", "掲示板"),
    # the policy's own page, not the request form
    ("ぽりしーのURLおしえて", "ask_policy_change", "URL"),
])
def test_what_the_policy_does_not_state_is_said_so_with_the_contact_point(text: str, intent: str,
                                                                         what: str) -> None:
    _, answer = ask(text, intent)
    assert f"{what}" in answer and "記載されていません" in answer and "0428-32-1351" in answer


def test_a_plain_question_is_not_told_that_something_is_unstated() -> None:
    _, answer = ask("電話番号を教えて", "ask_contact")
    assert "記載されていません" not in answer
    _, answer = ask("ぽりしーのURLおしえて", "ask_policy_change")
    assert "書式" not in answer


def test_a_second_question_gets_its_topics_own_answer() -> None:
    reply, _ = ask("開示ってお金かかりますか？あと、持っていく身分証は何がいいですか？", "ask_fee",
                   request_kind=["開示"])
    assert [a.topic for a in reply.answers] == ["ask_fee", "ask_documents"]
    assert "運転免許証" in reply.answers[1].text


def test_anger_gets_an_apology_first_and_the_right_to_act() -> None:
    reply, text = ask("勝手に俺の情報使いやがって、ふざけんな。全部消せ", "complain", request_kind=["削除"])
    assert text.startswith("ご不快な思いをおかけし")
    assert "5.(1)" in reply.clauses and "12" in reply.clauses
    assert '/request_privacy_action{"request_kind":"削除"}' in {b.payload for b in reply.answers[0].buttons}


def test_an_angry_question_is_met_as_a_complaint_with_the_clause_and_a_person() -> None:
    reply, text = ask("毎月DMばっかり送ってきやがって、どうなってんだ", "ask_purpose")
    # answered as a complaint, remembered as a question of its topic (follow-ups go on from it)
    assert reply.topic == "ask_purpose" and text.startswith("ご不快な思いをおかけし")
    assert "2.(3)②" in reply.clauses and "11" in reply.clauses
    assert reply.answers[0].buttons[0].payload == "/ask_human"


@pytest.mark.parametrize(("text", "tone"), [
    ("ふざけんな、勝手に使うな", Tone.ANGRY),
    ("最低な会社だな！！", Tone.ANGRY),
    ("返事がまだ来ない。いつまで待たせる気ですか", Tone.ANGRY),
    ("見るだけで金取るとか、ぼったくりかよ", Tone.ANGRY),
    ("頼んだのに断られた。意味わかんないんだけど", Tone.ANGRY),
    ("その説明じゃ納得できない", Tone.ANGRY),
    ("この言葉の意味がわからないのですが", Tone.NEUTRAL),
    ("私の情報を勝手に他の会社に渡したりしていませんか", Tone.NEUTRAL),
    ("DMしつこい。もう送ってくんな", Tone.ANGRY),
    ("ちゃんと管理してるんだろうな？", Tone.ANGRY),
    ("対応が最悪でした", Tone.ANGRY),
    ("お宅から情報漏れてるでしょ！迷惑電話が急に増えた。どうしてくれるんだ", Tone.ANGRY),
    ("最新のポリシーはどこで読めますか", Tone.NEUTRAL),
    # asking who is responsible is no anger; demanding them is
    ("個人情報の管理責任者ってだれ？", Tone.NEUTRAL),
    ("責任者を出せ", Tone.ANGRY),
    ("情報が漏れていないか心配で夜も眠れません", Tone.WORRIED),
    ("年寄りなのでよくわからないのですが", Tone.WORRIED),
    ("削除の手続きを教えてください", Tone.NEUTRAL),
])
def test_tone(text: str, tone: Tone) -> None:
    assert tone_of(text) is tone


@pytest.mark.parametrize(("text", "elliptic"), [
    ("代理人の場合は？", True), ("それってやめてもらえる？", True), ("じゃあ裁判所は", True),
    ("本人確認書類には何が使えますか", False), ("個人情報の開示を請求するにはどうすればいいですか", False),
])
def test_follow_ups_are_recognised_by_their_shape(text: str, elliptic: bool) -> None:
    assert is_elliptic(text) is elliptic


def test_a_message_is_split_into_at_most_two_questions() -> None:
    assert questions("手数料は？あと、書類は何がいる？それと窓口は？") == ["手数料は", "書類は何がいる それと窓口は"]
    assert questions("ふざけんな。全部消せ") == []


@pytest.mark.parametrize(("text", "kind"), [
    ("あｓｄｆｇｈｊｋ", "mash"), ("qwrtyp", "mash"), ("ああああああ", "repeat"), ("ｗｗｗｗ", "repeat"),
    ("ぴよぴよ", "repeat"), ("ホゲホゲホゲ", "repeat"),
    ("？？？", "symbols"), ("😡😡", "symbols"), ("...", "symbols"),
    ("Can I delete my data?", "foreign"), ("我想删除我的个人信息", "foreign"), ("개인정보 삭제", "foreign"),
    ("ちょっと待って", "waiting"), ("えーっと…", "waiting"), ("あのー、少々お待ちください", "waiting"),
])
def test_noise_is_recognised(text: str, kind: str) -> None:
    assert noise_kind(text) == kind


@pytest.mark.parametrize("text", [
    "はい", "いいえ", "うん", "山田太郎", "Taro Yamada", "taro@example.com", "090-1234-5678",
    "PR-20261130-XKCDQZ", "pr 20261130 ubnecz", "968 851", "DMをやめてほしい", "個人情報保護方針",
    "こんにちは", "ちょっと聞きたいんですが", "確認したい", "あの、質問です", "はいはい", "うんうん",
])
def test_words_and_values_are_not_noise(text: str) -> None:
    assert noise_kind(text) is None


@pytest.mark.parametrize("text", ["書式はどこでもらえる？", "でんわばんごうわ？", "じゃあ電話で聞く。番号は？",
                                  "どこに連絡すればいいですか"])
def test_where_to_go_next_gets_the_contact_point_whatever_came_before(text: str) -> None:
    reply, answer = ask(text, "ask_request_procedure", Context("ask_request_procedure", ("5.(1)",)))
    assert reply.topic == "ask_contact" and "0428-32-1351" in answer and "safe@tcnnet.co.jp" in answer


@pytest.mark.parametrize("text", ["書式はどこでもらえる？", "申請書の用紙ってどこでもらえるの"])
def test_where_to_get_the_form_gets_the_procedure_and_the_contact_point_whatever_came_before(text: str) -> None:
    reply, answer = ask(text, "ask_contact", Context("ask_purpose", ("2.(3)②",)))
    assert reply.topic == "ask_request_procedure" and reply.clauses == ("5.(1)",)
    assert "所定の書式" in answer and "記載されていません" in answer and "0428-32-1351" in answer


def test_a_follow_up_about_another_topics_clause_is_answered_as_that_topic() -> None:
    reply, text = ask("だいりにんのばあいわ？", "ask_verification_reason", Context("ask_request_procedure", ("5.(1)",)))
    assert reply.topic == "ask_documents" and reply.clauses[0] == "5.(2)⑤" and "委任状" in text


def test_an_unsure_middle_length_message_may_lean_on_the_previous_answer() -> None:
    assert is_elliptic("だめだった時は理由も教えてくれる？", confidence=0.4)
    assert not is_elliptic("だめだった時は理由も教えてくれる？", confidence=0.95)


def test_a_request_kind_that_is_none_of_the_eight_is_dropped() -> None:
    message = RasaMessage(data={"text": "見せてもらうことはできますか？", "entities": [
        {"entity": "request_kind", "value": "開示"}, {"entity": "request_kind", "value": "か"},
        {"entity": "data_item", "value": "住所"}]})
    KnownEntityValues().process([message])
    assert [e["value"] for e in message.get("entities")] == ["開示", "住所"]


def test_an_angry_message_the_nlu_was_unsure_of_gets_an_apology_and_a_person() -> None:
    reply = RESPONDER.angry(Message("おい、勝手にDM送ってくるのやめろ", "nlu_fallback", 0.4))
    assert reply is not None
    assert reply.answers[0].text.startswith("ご不快な思いをおかけし")
    assert any(button.payload == "/ask_human" for button in reply.answers[0].buttons)
    assert RESPONDER.angry(Message("DMの件で質問です", "nlu_fallback", 0.4)) is None


def test_two_questions_are_answered_in_the_order_they_were_asked() -> None:
    # The NLU took the fee (the second question) as the message's topic.
    reply, text = ask("母の代わりに請求する場合、何が必要ですか？手数料もかかりますか？", "ask_fee")
    first, second = reply.answers
    assert first.topic == "ask_documents" and "委任状" in first.text
    assert second.topic == "ask_fee" and second.text.startswith("もう1つのご質問について")
    assert reply.topic == "ask_documents"


@pytest.mark.parametrize("said", ["委託先について全部まとめて教えてください", "第三者提供のことをまとめて説明して"])
def test_asking_for_everything_together_gets_the_whole_topic(said: str) -> None:
    reply, _ = ask(said, "ask_outsourcing" if "委託" in said else "ask_third_party")
    assert len(reply.clauses) > 2


def test_which_data_a_purpose_uses_is_answered_for_the_purpose_just_explained() -> None:
    reply, text = ask("どの情報が使われるの？", "ask_purpose", Context("ask_purpose", ("2.(3)②",)))
    assert reply.clauses[0] == "2.(3)②" and "電子メールアドレス" in text and "サービス内容" in text
    reply, text = ask("どんな情報を使うの？", "ask_purpose", Context("ask_purpose", ("2.(3)③",)))
    assert "記載されていません" in text and "0428-32-1351" in text  # ③ names no data: not invented


@pytest.mark.parametrize("said", ["それってどういう意味？名前とかだけじゃないの？",
                                  "個人情報というのは名前と住所のことでしょうか。ほかにもありますか。"])
def test_asking_whether_only_the_named_items_count_gets_the_whole_definition(said: str) -> None:
    reply, text = ask(said, "ask_definition", data_item=["氏名"])
    assert reply.clauses == ("1",) and "照合" in text and "生年月日" in text


@pytest.mark.parametrize(("said", "intent", "clause", "must"), [
    ("５．（１）をかんたんに言うと？", "nlu_fallback", "5.(1)", "所定の書式"),
    ("２．（４）の「３．に掲げる場合を除き」って何のこと？", "ask_use_beyond_purpose", "3", "令状"),
    ("1.(2)の「容易に照合」ってどういう意味ですか", "ask_definition", "1.(2)", "照合"),
    ("5.(2)⑤について教えて", "nlu_fallback", "5.(2)⑤", "委任状"),
    ("5条1項をかんたんに教えて", "nlu_fallback", "5.(1)", "所定の書式"),
    ("第3条ってどういうこと？", "nlu_fallback", "3", "第三者"),
    ("ポリシーの５番の項目、全部説明してもらえる？", "nlu_fallback", "5", "所定の書式"),
])
def test_a_clause_named_by_its_number_is_the_one_answered(said: str, intent: str, clause: str, must: str) -> None:
    reply, text = ask(said, intent)
    assert reply.clauses[0] == clause and must in text


def test_numbers_that_are_no_clause_are_not_taken_for_one() -> None:
    assert RESPONDER.named_clause(Message("料金は1.5倍になりますか", "out_of_scope")) is None
    assert RESPONDER.named_clause(Message("20.(3)って何？", "nlu_fallback")) is None
    assert RESPONDER.named_clause(Message("受付番号と5番号の違いは？", "nlu_fallback")) is None


def test_what_to_bring_after_why_id_is_checked_gets_the_documents() -> None:
    reply, text = ask("で、何を用意すればいいの？", "ask_verification_reason",
                      Context("ask_verification_reason", ("5.(1)", "5.(2)")))
    assert reply.topic == "ask_documents" and "運転免許証" in text


def test_an_unsure_message_asking_where_to_get_the_form_gets_the_contact_point() -> None:
    reply = RESPONDER.unsure(Message("しょしきってどこでもらえるの", "nlu_fallback", 0.3),
                             Context("ask_request_procedure", ("5.(1)",)))
    assert reply is not None and reply.topic == "ask_contact" and reply.clauses == ("11",)


def test_a_clause_quoted_from_the_previous_answer_is_explained_in_its_thread() -> None:
    reply = RESPONDER.unsure(Message("「3.に掲げる場合を除き」ってどういう意味？", "nlu_fallback", 0.3),
                             Context("ask_use_beyond_purpose", ("2.(4)",)))
    assert reply is not None and reply.topic == "ask_use_beyond_purpose" and reply.clauses == ("3",)


def test_a_follow_up_the_nlu_is_sure_of_is_answered_as_its_own_topic_of_the_same_clause() -> None:
    reply, text = ask("通話とかメールの中身も？", "ask_communication_secrecy",
                      Context("ask_third_party", ("3.(5)",)))
    assert reply.topic == "ask_communication_secrecy" and "通信の秘密" in text


def test_item_numbers_an_answer_named_are_shown_in_its_text() -> None:
    reply, text = ask("①～④ってなに？", "ask_leak", Context("ask_documents", ("5.(2)",)))
    assert reply.topic == "ask_documents" and "運転免許証" in text and "パスポート" in text


def test_asking_whether_data_can_be_deleted_gets_the_request_that_deletes_it() -> None:
    reply, text = ask("じゃあ、期間前でも消してって頼めるんですか？", "ask_retention",
                      Context("ask_retention", ("12",)))
    assert reply.request_kind == "削除" and "「削除」" in text and "5.(1)" in reply.clauses
    reply, _ = ask("私の情報を全部消してください", "ask_purpose")
    assert reply.starts_request and reply.request_kind == "削除"


@pytest.mark.parametrize(("said", "intent", "what"), [
    ("じゃあCookieのほうは？", "ask_third_party", "Cookie"),
    ("契約もしていないのに、私の名前と住所をどこで知ったんですか", "ask_acquisition", "入手"),
])
def test_what_the_policy_does_not_say_is_said_so(said: str, intent: str, what: str) -> None:
    _, text = ask(said, intent)
    assert what in text and "記載されていません" in text and "0428-32-1351" in text


def test_only_a_message_the_nlu_could_not_place_falls_back_on_the_previous_topic() -> None:
    assert RESPONDER.follow_up(Message("例外ってあるの？", "nlu_fallback", 0.4), Context("ask_retention", ("12",)))
    # A guess of another topic with nothing of it in the words is no better than no topic.
    guessed = RESPONDER.respond(Message("例外ってあるの？", "ask_third_party", 0.43), Context("ask_retention", ("12",)))
    assert guessed.topic == "ask_retention" and "法令" in guessed.answers[0].text
    # Words of its own topic keep it, however unsure: 「けいさつには？」 after retention.
    police = RESPONDER.respond(Message("けいさつには？", "ask_third_party", 0.43), Context("ask_retention", ("12",)))
    assert police.topic == "ask_third_party"
    # 「やっぱりお願いします」 after declining a person is no question about that topic.
    assert RESPONDER.follow_up(Message("やっぱりお願いします", "cancel", 0.7), Context("ask_human", ())) is None


# -- kinds found by the graded set (each with other wordings than the graded cases') --

@pytest.mark.parametrize(("text", "intent", "kind"), [
    ("訂正を頼んだのに断られた。納得いかない", "ask_refusal", "訂正"),
    ("開示お願いしたのに一部しか出てこないとか、ありえない", "ask_refusal", "開示"),
])
def test_an_angry_question_naming_what_happened_is_answered_by_its_topic_with_an_apology(
        text: str, intent: str, kind: str) -> None:
    reply, answer = ask(text, intent, request_kind=[kind])
    # the request named is what was refused, not a right to use now: the refusal's answer
    assert reply.topic == "ask_refusal" and answer.startswith("ご不快な思いをおかけし")
    assert "全部又は一部" in answer and "5.(1)" in reply.clauses and "11" in reply.clauses
    assert reply.answers[0].buttons[0].title == "担当者と話す"


def test_an_angry_order_still_gets_the_right_that_does_it() -> None:
    reply, answer = ask("勝手に使いやがって。利用停止しろ", "ask_purpose", request_kind=["利用停止"])
    assert reply.topic == "complain" and "「利用停止」を請求いただけます" in answer


@pytest.mark.parametrize("text", ["窓口の態度が最悪。苦情はどこに連絡すればいいんだよ",
                                  "ふざけんな、文句はどこに言えばいい？"])
def test_asking_angrily_where_to_complain_gets_the_apology_and_the_contact_point(text: str) -> None:
    reply, answer = ask(text, "ask_contact")
    assert reply.topic == "complain" and answer.startswith("ご不快な思いをおかけし")
    assert "0428-32-1351" in answer and "safe@tcnnet.co.jp" in answer


def test_a_second_question_asking_where_to_go_gets_the_contact_point() -> None:
    reply, answer = ask("手数料はかかりますか？払い方がわからなかったらどこに聞けばいい？", "ask_fee")
    first, second = reply.answers
    assert first.topic == "ask_fee" and "5.(3)" in first.citations
    assert second.citations == ("11",) and "0428-32-1351" in second.text


def test_a_clause_quoted_from_another_named_clause_is_answered_in_that_clauses_thread() -> None:
    reply, answer = ask("５．（３）にある「開示又は利用目的の通知」ってどういう意味？", "nlu_fallback")
    assert reply.topic == "ask_fee"


def test_section_two_belongs_to_the_topic_of_most_of_its_items() -> None:
    assert ANSWERER.topic_of("2") == "ask_purpose" and ANSWERER.topic_of("2.(1)") == "ask_acquisition"
    reply, answer = ask("ポリシーの２．を簡単に説明してください", "ask_acquisition")
    assert reply.topic == "ask_purpose" and reply.clauses == ("2",)


@pytest.mark.parametrize(("text", "kind"), [("母の代わりに、母の個人情報の訂正を申し込みます", "訂正"),
                                            ("私の情報の利用停止を請求したいです。", "利用停止")])
def test_a_statement_that_files_one_kind_starts_that_request(text: str, kind: str) -> None:
    reply, _ = ask(text, "ask_documents", request_kind=[kind])
    assert reply.starts_request and reply.request_kind == kind


def test_asking_whether_a_kind_can_be_filed_is_not_filing_it() -> None:
    reply, _ = ask("訂正を申し込むには何が必要ですか", "ask_documents", request_kind=["訂正"])
    assert not reply.starts_request and reply.topic == "ask_documents"


@pytest.mark.parametrize("text", ["保存期間が終わったデータってちゃんと消去してくれるの？",
                                  "期限を過ぎた個人情報は消してくれますか"])
def test_asking_what_the_retention_clause_does_is_answered_by_it(text: str) -> None:
    reply, answer = ask(text, "ask_retention")
    assert reply.topic == "ask_retention" and reply.clauses == ("12",) and reply.request_kind is None
    assert "遅滞なく消去" in answer


@pytest.mark.parametrize("text", ["刑事訴訟法に基づく照会ってなんですか", "こうざの じょうほうって なにに つかうの",
                                  "かたくそうさく って なに？"])
def test_words_that_only_contain_an_angry_word_are_not_anger(text: str) -> None:
    assert tone_of(text) is Tone.NEUTRAL


def test_everything_about_items_of_one_section_that_several_topics_share_gets_the_section() -> None:
    reply, answer = ask("請求のときの本人確認書類とか手数料とか、まとめて全部教えて", "ask_fee")
    assert reply.topic == "ask_request_procedure" and reply.clauses == ("5",)
    assert "原文を見る" in [button.title for button in reply.answers[0].buttons]


def test_everything_about_the_procedure_is_its_steps() -> None:
    answer = ANSWERER.answer("ask_request_procedure", {"request_kind": ["開示"]}, full=True)
    assert "・書式" in answer.text and "・本人確認" in answer.text and "・結果のご連絡" in answer.text


@pytest.mark.parametrize("text", ["住所と電話番号の組み合わせも個人情報になりますか", "ＩＰアドレスって個人情報なの？",
                                  "契約プランの内容も個人情報に含まれますか"])
def test_whether_something_counts_as_personal_data_is_the_definition(text: str) -> None:
    reply, _ = ask(text, "ask_purpose")
    assert reply.topic == "ask_definition"


def test_where_to_go_about_a_topic_the_nlu_is_sure_of_gets_its_clause_and_the_contact_point() -> None:
    reply, answer = ask("保存期間について詳しく聞きたいので、どこに問い合わせればいいですか", "ask_retention")
    assert reply.topic == "ask_retention" and "12" in reply.clauses and "0428-32-1351" in answer


def test_the_topic_the_nlu_and_the_ranker_agree_on() -> None:
    assert ANSWERER.agreed_topic("口座番号を何に使うのか教えてください", ["request_privacy_action", "ask_purpose"]) \
        == "ask_purpose"
    assert ANSWERER.agreed_topic("こんにちは", ["greet", "ask_purpose"]) is None


@pytest.mark.parametrize(("text", "ref", "said"), [
    ("５条１項の但し書きってどういう意味？", "5.(1)", "⑦他の法令に違反することとなる場合"),
    ("3.(5)のただし書きは？", "3.(5)", "通信の秘密に属する事項については提供しない"),
    ("１２条のただし書きを教えて", "12", "保存を義務づけられているときは"),
])
def test_a_clauses_proviso_is_quoted_not_summarised(text: str, ref: str, said: str) -> None:
    reply, answer = ask(text, "nlu_fallback")
    assert reply.clauses == (ref,) and "但し書きは、次のとおりです" in answer and said in answer


def test_a_clause_without_a_proviso_is_said_to_have_none() -> None:
    reply, answer = ask("４条の但し書きは？", "ask_security")
    assert reply.clauses == ("4",) and "但し書き（「ただし、」で始まる文）はありません" in answer


@pytest.mark.parametrize(("text", "said"), [
    ("ありがとう。代理人でも請求できる？", "委任状"),
    ("助かりました！ついでに聞きたいんですが、DMは止められますか？", "「利用停止」"),
    ("ありがとうございます。それと、保存期間ってどうなってるの？", "遅滞なく消去"),
])
def test_a_question_said_with_thanks_is_answered(text: str, said: str) -> None:
    reply = RESPONDER.question_after_thanks(Message(text, "thank", 0.8), Context())
    assert reply is not None and said in "\n".join(answer.text for answer in reply.answers)


@pytest.mark.parametrize("text", ["ありがとうございました、よくわかりました", "助かりました！", "どうも"])
def test_thanks_alone_asks_nothing(text: str) -> None:
    assert RESPONDER.question_after_thanks(Message(text, "thank", 0.9), Context()) is None


@pytest.mark.parametrize(("text", "ref"), [
    ("3の(5)について、ただし書きの部分も教えて", "3.(5)"), ("第４項は何が書いてある？", "4"), ("第7項には何が", "7"),
])
def test_clauses_named_the_way_customers_write_them(text: str, ref: str) -> None:
    reply, _ = ask(text, "nlu_fallback")
    assert reply.clauses == (ref,)
