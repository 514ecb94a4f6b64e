"""Messages that say nothing the bot can understand: `noise_kind` tells why.

Used by the NLU component bot.nlu.noise.NoiseClassifier (which sets
`nlu_fallback` for them), by the forms' hearing (bot/intake/hearing.py) and by
the custom actions. No Rasa here: the action server imports it, and Rasa's
import would load TensorFlow into it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

from bot.text import normalize

FALLBACK_INTENT = "nlu_fallback"
NOISE = "noise"

_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff]")
_KANJI = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
# Whole Latin words (not parts of an e-mail address, a reference or a code).
_LATIN_WORD = re.compile(r"(?<![\w@.\-])[A-Za-z]+(?![\w@.\-])")
# Words that make a Latin-script message English rather than a name (「Taro Yamada」).
_ENGLISH = {"i", "my", "me", "you", "your", "the", "a", "an", "is", "are", "can", "could", "how", "what",
            "why", "when", "where", "do", "does", "please", "want", "to", "of", "it", "this", "hello", "hi",
            "help", "data", "delete", "english", "speak"}
# Simplified Chinese characters and function words that Japanese does not use.
_CHINESE = re.compile(r"[们这个么吗请删说话问题没对时会为经过还给让从将务应该谁吧呢]")
_VOWELS = set("aeiouAEIOU")
# Short Japanese answers made of few distinct characters, which are not noise.
_SHORT_WORDS = {"いいえ", "いえいえ", "ううん", "はいはい", "いいよ", "いや", "うんうん", "ええ"}
# Hesitation and "wait a moment" with nothing else (「ちょっと待って」「えーっと」
# 「あのー、少々お待ちください」): the customer is not asking anything yet.
# (matched after _PAUSES dropped spaces, punctuation and long-vowel marks: 「えーっと」 is えっと)
_HESITATION = r"(?:えっと|ええと|えと|あの|あのう|んん|ちょっと|少々|少し|しばらく|一旦|いったん)"
_WAIT = (r"(?:(?:待|ま)って(?:ください|下さい|くれ|ね|て)?|お待ちください|お待ち下さい"
         r"|考え(?:ます|中|させて(?:ください)?)|確認します|調べます|探します)")
_WAITING = re.compile(rf"(?:{_HESITATION}+{_WAIT}?|{_WAIT})")
_PAUSES = re.compile(r"[\s、。,.!?！？…・ー〜~]+")
# Two kana said over and over and nothing else (「ほげほげ」「ぱぴぱぴぱぴ」): no question.
_SYLLABLES_AGAIN = re.compile(r"([\u3041-\u30ff]{2})\1+")


def noise_kind(text: str) -> Optional[str]:
    """Why `text` cannot be understood, or None when it may be Japanese words.

    "symbols": nothing but punctuation, symbols or emoji; "repeat": one
    character or two kana over and over (「ああああ」「www」「ほげほげ」); "mash": Latin letters
    without vowels typed with or without kana (「あｓｄｆｇｈｊｋ」); "foreign":
    English, Chinese or Korean without Japanese kana; "waiting": hesitation or
    a request to wait and nothing else (「ちょっと待って」「えーっと」).
    """
    folded = normalize(text).replace(" ", "")
    letters = [ch for ch in folded if unicodedata.category(ch)[0] in "LN"]
    if not letters:
        return "symbols"
    core = "".join(letters)
    if core in _SHORT_WORDS:
        return None
    if len(core) >= 3 and len(set(core.lower())) == 1 or _SYLLABLES_AGAIN.fullmatch(core):
        return "repeat"
    if _HANGUL.search(core) and not _KANA.search(core):
        return "foreign"
    if _CHINESE.search(core) and not _KANA.search(core):
        return "foreign"
    latin = "".join(ch for ch in core if ch.isascii() and ch.isalpha())
    if (len(latin) >= 3 and sum(ch in _VOWELS for ch in latin) <= len(latin) // 5
            and not _KANJI.search(core) and not any(ch.isdigit() for ch in core)):
        return "mash"
    words = [word.lower() for word in _LATIN_WORD.findall(normalize(text))]
    if words and not _KANA.search(core) and not _KANJI.search(core) and _ENGLISH & set(words):
        return "foreign"
    if _WAITING.fullmatch(_PAUSES.sub("", folded)):
        return "waiting"
    return None
