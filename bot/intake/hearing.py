"""What a customer's message IS, decided before any form step takes it as a value.

`hear(text, ...)` returns a `Heard`: the message is a request for a person, a
cancel, a lost reference or code, a wish to check a status, a change of request
kind, a question, filler (「ちょっと待って」「まだ？」「えーと」), thanks, a bare
yes or no, noise, or else possibly a value, which the step's parser decides.
The forms (bot/intake/form.py, status.py) say what each act does at each step.

Intents from the NLU count when confident; the words count always, since the
classifier was trained on questions, not on what people say while filling in
a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Optional

from bot.noise import noise_kind
from bot.sudachi import morphemes
from bot.text import normalize

INTENT_CONFIDENCE = 0.8
# The NLU's intent of a wish to file a request of 5.(1) (data/nlu).
REQUEST_INTENT = "request_privacy_action"
# The NLU's intent of a wish to know how a request already filed stands.
STATUS_INTENT = "check_status"
CANCEL_CONFIDENCE = 0.6


class Act(str, Enum):
    """What a message is (see the module docstring); the value is its name in the
    wording's keys (data/policy/intake.yml: `gentle.filler`, `gentle.thanks`)."""

    VALUE = "value"
    HUMAN = "human"
    CANCEL = "cancel"
    RESTART = "restart"
    LOST = "lost"
    STATUS = "status"
    KIND = "kind"
    QUESTION = "question"
    FILLER = "filler"
    THANKS = "thanks"
    YES = "yes"
    NO = "no"
    NOISE = "noise"


# Acts that end or redirect the step whatever it asked.
DECISIVE = frozenset({Act.HUMAN, Act.CANCEL, Act.RESTART, Act.LOST, Act.KIND})


@dataclass(frozen=True)
class Heard:
    """`kind` is the request kind switched to, for Act.KIND only."""

    act: Act
    kind: Optional[str] = None


_PUNCTUATION = re.compile(r"[\s。、，,.．!！?？…〜~「」『』（）()]+")
_HUMAN_WHO = re.compile(r"担当|人間|オペレー[タ]|スタッフ|係の?(人|方)|係員|有人|人と|ひとと|生身|窓口の(人|方)")
# The contact point's details asked for, on compact text.
_CONTACT_DETAILS = re.compile(
    r"(電話番号|でんわばんごう|番号|ばんごう|連絡先|れんらくさき|メールアドレス|住所)(を|が|は)?"
    r"(教え|おしえ|知りた|しりた|知らせ|伺え|うかがえ)")
# A person named and declined, on compact text: 「担当者じゃなくて」「オペレーターはいいです」.
_HUMAN_DECLINED = re.compile(
    r"(担当者?|人間|オペレーター?|スタッフ|係の?(人|方)|係員|有人(対応)?|人)(さん|の方)?(と話す|に代わる|につなぐ)?(の)?(は)?"
    r"(じゃなくて|じゃなく|ではなくて|ではなく|でなくて|でなく|じゃない|ではない"
    r"|(もう)?(いい(です|から|や)?|結構|けっこう|いらな|要らな|不要))")
# While waiting for staff: the call or contact no longer wanted (「電話はもう大丈夫です」
# 「やっぱり連絡いらないです」「電話しなくて大丈夫です」), on compact text.
_CONTACT_DECLINED = re.compile(
    r"(電話|でんわ|連絡|れんらく|折り返し|おりかえし)(は|も)?(もう)?(大丈夫|だいじょうぶ|いらな|要らな|不要|結構|けっこう)"
    r"|(電話|でんわ|連絡|れんらく)し(なくて|なくても)(いい|大丈夫|だいじょうぶ|結構)")
_HUMAN_WANT = re.compile(r"話|はな(し|す)|つな|繋|代わ|替わ|かわ|お願い|呼|相談|したい|ください|下さい|連絡")
_LOST_WHAT = re.compile(r"受付番号|受付の番号|確認コード|コード|PR|(?<!客様)(?<!客さま)(?<!顧客)(?<!電話)(?<!会員)番号",
                        re.IGNORECASE)
_LOST_HOW = re.compile(r"忘れ|わすれ|無くし|なくし|失くし|紛失|分から|わから|分かりません|わかりません|不明"
                       r"|覚えて(い)?な|控えて(い)?な|メモして(い)?な|消え|消し|見つから|みつから|届いて(い)?な"
                       r"|知らな|しらな")
_CANCEL_ALONE = re.compile(
    r"(やっぱり|もう)?(やめ(ます|る|たい|て|ておきます|とく|ときます|よう)?|止め(ます|る|たい)|キャンセル(します|で|したい)?"
    r"|中止(します|で|したい)?|中断(します)?|終了(します)?|終わり(にします)?|おわり|もういい(です)?|結構です|取り?消し?(ます)?"
    r"|stop|cancel|quit|exit|end|abort)(です|してください|ください|お願いします|します)?"
    # 「やっぱりいいです」「もう大丈夫です」: never mind (a bare 「いいです」 may be a yes).
    r"|(やっぱり|やはり|もう)(いい|いいや|いいです|大丈夫|大丈夫です|だいじょうぶ|だいじょうぶです)", re.IGNORECASE)
_CANCEL_WHAT = re.compile(r"(受付|申し?込み?|申請|請求|手続き?|入力|確認)(を|は)?"
                          r"(やめ|止め|中止|中断|キャンセル|取り?消|取りやめ)"
                          # The handoff: 「取次ぎはもういいです」「つながなくていいです」「待つのやめます」.
                          r"|(取次ぎ?|取り次ぎ?|とりつぎ|おつなぎ|待つの|まつの)(を|は)?(もう)?"
                          r"(やめ|止め|中止|キャンセル|いい|結構|けっこう|不要)"
                          r"|(つなが|繋が|呼ば|よば|待た|また)なくて(いい|大丈夫|だいじょうぶ|結構)")
# 「最初からやり直したい」「はじめからお願いします」「リセット」: a fresh start, not an answer.
_FROM_THE_START = re.compile(r"(最初|初め|始め|はじめ|一|いち)から|最初に戻|リセット")
_REDO = re.compile(r"やり直|やりなお|遣り直")
_RESTART_ALONE = re.compile(r"(もう一度|もういちど)?(やり直|やりなお|遣り直)(し|す)?"
                            r"(たい|ます|です|てください|させてください)?(です)?"
                            r"|reset|restart|startover|リセット(して|します|したい)?(ください)?", re.IGNORECASE)
_STATUS = re.compile(r"受付状況|進捗|進み具合|審査状況|申請状況|請求の状況|手続きの状況|対応状況")
_CHANGE = re.compile(r"やっぱり|やはり|変え|変更|かえ(たい|ます)|ではなく|じゃなくて|でなく|の方が|のほう"
                     r"|にしたい|にします|切り?替え|間違え|まちがえ")
_REQUEST = re.compile(r"請求|したい|してほしい|して欲しい|希望|お願い|申し?込|手続|にして|に変")
# A field of the form with a word that is also a request kind (追加, 訂正): the
# customer edits what they gave (on compact text: no spaces or punctuation).
_FIELD_EDIT = re.compile(r"(連絡先|メール|メアド|電話|でんわ|番号|名前|なまえ|氏名|お客様番号)(も|を|に|は|の)?"
                         r"[^。]{0,6}(追加|ついか|訂正|ていせい|修正|変更|直)")
_ABOUT_KIND = re.compile(r"請求|種類|申し?込")
_THANKS = re.compile(r"ありがと|有難|有り難|感謝|サンキュ|thank|助かり|助かる", re.IGNORECASE)
_THANKS_MAX_CHARS = 20
_YES = re.compile(r"(はい|ええ|うん|そうです|ok|オーケー|了解(です|しました)?|承知しました|わかりました|分かりました"
                  r"|大丈夫です?|(やっぱり|やはり)?(お願い|おねがい)(します|いたします|致します)?)(です)?",
                  re.IGNORECASE)
_NO = re.compile(r"(いいえ|いや|いえ|ううん|違います|ちがいます|no)(です)?", re.IGNORECASE)
# Words that say where a question asks (なんで, 何, どう, いくら ...).
_INTERROGATIVES = {"なぜ", "何故", "なんで", "何で", "どうして", "何", "なに", "なん", "いつ", "どこ", "何処",
                   "どう", "如何", "いくら", "幾ら", "どれ", "どの", "どんな", "どちら", "誰", "だれ"}
# 「…を教えてください」「…を知りたいです」: asking to be told, on compact text.
_TELL_ME = re.compile(r"(教え|おしえ)て(ください|下さい|くれ(ませんか|る)?|ほしい(です)?|欲しい(です)?"
                      r"|(もらえ|いただけ|頂け)(ます|ません)?か?)?(ね|よ|な)?$"
                      r"|(知り|しり)たい(です|のですが|んですが)?$")
_QUESTION_ENDINGS = {"か", "の", "かな", "かしら", "って"}
# Phrases and words of someone who is not answering yet.
_FILLER_WORDS = {"待つ", "まだ", "未だ", "ちょっと", "一寸", "少々", "少し", "しばらく", "暫く", "考える", "探す",
                 "調べる", "確認", "見る", "今", "考え", "一旦", "いったん", "準備", "中", "えっと", "ええと",
                 "えーっと", "あの", "あのう", "その", "うーん", "ん", "んー", "hmm", "um", "uh", "wait", "お",
                 "ください", "下さる", "くださる", "する", "為る", "いる", "居る", "ね", "よ"}
_GRAMMAR = {"助詞", "助動詞", "補助記号", "空白", "接頭辞"}



def compact(text: str) -> str:
    """The normalized text without spaces, punctuation or long-vowel marks, for whole-phrase matching."""
    return _PUNCTUATION.sub("", normalize(text))


def _confident(intent: Optional[str], confidence: float, wanted: set[str], threshold: float) -> bool:
    return intent in wanted and confidence >= threshold


def is_question(text: str) -> bool:
    """A question mark, an interrogative word, a question ending (か, の, 「…の場合は」),
    or a request to be told (「…理由を教えてください」)."""
    normalized = normalize(text)
    if "?" in normalized or "？" in normalized or _TELL_ME.search(compact(normalized)):
        return True
    tokens = [m for m in morphemes(normalized) if m.part_of_speech()[0] not in ("補助記号", "空白")]
    if any(m.surface() in _INTERROGATIVES or m.normalized_form() in _INTERROGATIVES for m in tokens):
        return True
    if len(tokens) < 2:
        return False
    last = tokens[-1]
    ends_like_question = last.part_of_speech()[0] == "助詞" and last.surface() in _QUESTION_ENDINGS
    # 「代理人の場合は」: a topic left hanging asks about it.
    hanging_topic = last.surface() == "は" and last.part_of_speech()[1] == "係助詞"
    return ends_like_question or hanging_topic


def is_filler(text: str) -> bool:
    """Only hesitation, waiting or interjections (「えーと」「ちょっと待ってください」「まだ？」)."""
    tokens = [m for m in morphemes(text) if m.part_of_speech()[0] not in ("補助記号", "空白")]
    said = False
    for token in tokens:
        pos = token.part_of_speech()[0]
        if (token.normalized_form().lower() in _FILLER_WORDS or token.surface().lower() in _FILLER_WORDS
                or pos == "感動詞"):
            said = True
        elif pos not in _GRAMMAR:
            return False
    return said


def is_cancel(text: str) -> bool:
    """「やめます」「キャンセル」「stop」 said on their own, or 「申し込みをやめます」; not
    「ダイレクトメールをやめてほしい」, which is what a request may be about."""
    said = compact(text)
    return bool(_CANCEL_ALONE.fullmatch(said) or _CANCEL_WHAT.search(said))


def wants_restart(text: str, free_text: bool = False) -> bool:
    """「最初からやり直したい」「はじめからお願いします」「やり直します」: the customer
    wants a fresh start; not 「住所をやり直したい」, which is about one answer. In the
    customer's own description (`free_text`: 「最初から登録している住所」) only a
    start-over said as such counts (「最初からやり直したい」)."""
    said = compact(text)
    if _RESTART_ALONE.fullmatch(said):
        return True
    if free_text:
        return bool(_FROM_THE_START.search(said) and _REDO.search(said))
    return bool(_FROM_THE_START.search(said)) and (bool(_REDO.search(said)) or len(said) <= 12)


def wants_human(text: str) -> bool:
    """A person is asked for in words: who (担当者, オペレーター, 人間…) and a wish
    (話したい, つないで, お願い…) both in the message (「担当者と話したい」), and
    not declined (「担当者じゃなくて削除の申し込みをしたい」)."""
    said = compact(text)
    return bool(_HUMAN_WHO.search(said) and _HUMAN_WANT.search(said)) and not declines_human(text)


def asks_for_contact_details(text: str) -> bool:
    """「番号を教えていただけますか」「連絡先を知りたい」: the contact point's details asked for."""
    return _CONTACT_DETAILS.search(compact(text)) is not None


def declines_contact(text: str) -> bool:
    """「電話はもう大丈夫です」「連絡しなくていいです」: the promised call or contact is declined."""
    return _CONTACT_DECLINED.search(compact(text)) is not None


def declines_human(text: str) -> bool:
    """「担当者じゃなくて…」「人間はいいです」: a person is named as not wanted."""
    return _HUMAN_DECLINED.search(compact(text)) is not None



# Saying one is filing, not only asking: 「申し込みます」「申請したい」「請求します」.
_FILING = re.compile(r"申し込|申込|もうしこ|申請|しんせい|請求し|せいきゅうし|手続きし|てつづきし")


def files_now(text: str) -> bool:
    """Whether the customer says they are filing a request now (「DMを止めたいので
    申し込みます」), rather than only saying what they want (「DMはやめてほしい」)."""
    return _FILING.search(normalize(text)) is not None


def lost_credentials(text: str) -> bool:
    """「受付番号を忘れました」「確認コードをなくしました」: the customer cannot give them."""
    said = compact(text)
    return bool(_LOST_WHAT.search(said) and _LOST_HOW.search(said))


def yes_or_no(text: str) -> Optional[bool]:
    """True or False when the whole message is a bare yes or no, else None."""
    said = compact(text)
    if _YES.fullmatch(said):
        return True
    if _NO.fullmatch(said):
        return False
    return None


def switched_kind(text: str, named_kind: Optional[str], current: Optional[str], free_text: bool) -> Optional[str]:
    """The request kind the customer now wants instead of `current`, or None.
    `named_kind` is the kind the message names (bot.intake.fields.parse_kind).

    Where an answer may itself name a kind (the details: 「削除された情報も開示して」),
    only explicit change words count (「やっぱり」「変えたい」); elsewhere a kind named
    with a request (「削除をお願いします」) does too.
    """
    if named_kind is None or named_kind == current:
        return None
    said = compact(text)
    if _FIELD_EDIT.search(said) and not _ABOUT_KIND.search(said):
        # 「連絡先にメールも追加したい」「電話番号を訂正したい」: an answer of the form
        # changed, not the kind of request.
        return None
    if _CHANGE.search(said):
        return named_kind
    return named_kind if not free_text and _REQUEST.search(said) and not is_question(text) else None


def hear(text: str, intent: Optional[str] = None, confidence: float = 0.0, *, named_kind: Optional[str] = None,
         current_kind: Optional[str] = None, free_text: bool = False) -> Heard:
    """What the message is, checked in this order (the first that applies):
    a person, a lost reference or code, a cancel, a restart, another request
    kind, a status lookup, then yes or no, filler, thanks, a question, noise,
    else a possible value. Intents count only at or above INTENT_CONFIDENCE
    (CANCEL_CONFIDENCE for cancel), `confidence` being the NLU's, 0..1.
    `named_kind`: the request kind the message names, if a
    switch of kind is possible at this step (None where the step asks for the kind
    or has none). `free_text`: the answer is the customer's own description (the
    details), which may name a kind, or sound like a complaint or a status, without
    meaning a switch: there only explicit words count, not the classifier's intent."""
    intent = None if free_text and intent not in ("cancel", "affirm", "deny") else intent
    if (_confident(intent, confidence, {"ask_human", "complain"}, INTENT_CONFIDENCE) and not declines_human(text)) \
            or wants_human(text):
        return Heard(Act.HUMAN)
    if lost_credentials(text):
        return Heard(Act.LOST)
    if _confident(intent, confidence, {"cancel"}, CANCEL_CONFIDENCE) or is_cancel(text):
        return Heard(Act.CANCEL)
    if wants_restart(text, free_text):
        return Heard(Act.RESTART)
    if named_kind is not None:
        kind = switched_kind(text, named_kind, current_kind, free_text)
        if kind is not None:
            return Heard(Act.KIND, kind)
    if _STATUS.search(compact(text)) or _confident(intent, confidence, {STATUS_INTENT}, INTENT_CONFIDENCE):
        return Heard(Act.STATUS)
    return _soft_act(text, intent, confidence)


def _soft_act(text: str, intent: Optional[str], confidence: float) -> Heard:
    """Acts a step may still read a value from (a phone number typed with 「まだ？」 is still one)."""
    answer = yes_or_no(text)
    if answer is not None:
        return Heard(Act.YES if answer else Act.NO)
    # Before the classifier's yes or no: it reads 「えーと」 as a yes.
    if is_filler(text):
        return Heard(Act.FILLER)
    if _confident(intent, confidence, {"affirm", "deny"}, INTENT_CONFIDENCE):
        return Heard(Act.YES if intent == "affirm" else Act.NO)
    if (_THANKS.search(compact(text)) and len(compact(text)) <= _THANKS_MAX_CHARS) or \
            _confident(intent, confidence, {"thank", "greet", "goodbye"}, INTENT_CONFIDENCE):
        return Heard(Act.THANKS)
    if is_question(text):
        return Heard(Act.QUESTION)
    if noise_kind(text) in ("symbols", "repeat") or not compact(text):
        return Heard(Act.NOISE)
    return Heard(Act.VALUE)
