"""Content-word lemmas of Japanese text: what the clause ranker compares.

The same function turns the policy's clauses and the customer's message into
lists of Sudachi normalized forms (「引越し」「引っ越し」→「引っ越し」,
「けいさつ」 as written), so that wording, width and okurigana differences do
not matter. Compound nouns also contribute their short units
(「本人確認書類」→ 本人確認書類, 本人, 確認, 書類) so that a customer who
writes 「書類」 still meets the clause that says 「本人確認書類」.

Hiragana-only messages (「けいさつに じょうほう わたすの」「りょうきんの ひきおとし」)
are cut into odd words by any tokenizer, so they are also compared by sound:
`kana_grams` gives the character bigrams of the text's katakana reading, which
match those of the clause whatever the segmentation.

Morphemes come from bot/sudachi.py (one tokenizer per thread).
"""

from __future__ import annotations

import jaconv
import regex
from sudachipy import SplitMode

from bot.sudachi import morphemes

# Parts of speech that carry the topic of a question. Particles, auxiliaries,
# symbols and blanks never do.
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞"}
# Content words so common in questions and in the policy that they tell no
# clause from another (light verbs, formal nouns, pronouns, the company itself).
_STOP = {
    "する", "為る", "ある", "有る", "在る", "いる", "居る", "なる", "成る", "できる", "出来る", "れる", "られる",
    "こと", "事", "もの", "物", "よう", "様", "ため", "為", "とき", "時", "ところ", "所", "の", "ん",
    "これ", "それ", "あれ", "どれ", "この", "その", "どう", "なに", "何", "私", "僕", "俺", "わたし",
    "お客様", "客", "当社", "弊社", "御社", "貴社", "さん", "ちゃん", "いう", "言う", "思う", "ください",
    "下さる", "くださる", "もらう", "貰う", "いただく", "頂く", "くれる", "呉れる", "おる", "ます", "です",
    "お", "ご", "御", "的", "等", "など", "ちょっと", "教える", "知る", "聞く",
}

# Negating auxiliaries (ない, ません's ん, ず) and what may stand between them and
# the word they negate (「公表しない」「提供いたしません」「開示されない」).
_NEGATION = {"ない", "ず", "ぬ"}
_BRIDGE = {"為る", "する", "出来る", "できる", "れる", "られる", "せる", "させる", "致す", "いたす", "ます"}
# A negated word is one more token: 「公表しない」 meets 10.(2)'s 「公表しない」, not
# every clause that says 公表.
NEGATED = "{}ない"


def lemmas(text: str) -> list[str]:
    """The content-word lemmas of `text`, in order, repeats kept (BM25 counts them);
    a negated word also gives NEGATED (「公表しない」→ 公表, 公表ない).

    `text` may be anything a customer types; an empty or symbol-only text gives [].
    """
    result: list[str] = []
    negatable: str | None = None  # the last content word, while only bridges follow it
    for morpheme in morphemes(text):
        pos = morpheme.part_of_speech()
        if pos[0] == "助動詞" and morpheme.normalized_form() in _NEGATION:
            if negatable:
                result.append(NEGATED.format(negatable))
            negatable = None
            continue
        if morpheme.normalized_form() in _BRIDGE:
            continue
        negatable = None
        if pos[0] not in _CONTENT_POS or (pos[0] == "名詞" and pos[1] == "数詞"):
            continue
        units = [morpheme]
        if pos[0] == "名詞":
            parts = morpheme.split(SplitMode.A)
            if len(parts) > 1:
                units.extend(parts)
        for unit in units:
            lemma = unit.normalized_form()
            if lemma in _STOP or unit.surface() in _STOP:
                continue
            # Latin words count only when they are words (「DM」), not stray letters.
            if lemma.isascii() and not (lemma.isalnum() and len(lemma) > 1):
                continue
            result.append(lemma)
            if unit is morpheme:
                negatable = lemma
    return result


_HIRAGANA = regex.compile(r"\p{Hiragana}")
_LETTER = regex.compile(r"[\p{L}\p{N}]")
# Share of hiragana among the letters from which a message is read by sound.
HIRAGANA_SHARE = 0.8


def mostly_hiragana(text: str) -> bool:
    """Whether `text` is written (almost) in hiragana only."""
    letters = _LETTER.findall(text)
    return bool(letters) and len(_HIRAGANA.findall(text)) >= HIRAGANA_SHARE * len(letters)


def kana_grams(text: str) -> list[str]:
    """Character bigrams of the katakana reading of `text` (symbols and spaces
    dropped), e.g. 「警察」 and 「けいさつ」 both give ケイ, イサ, サツ."""
    reading = "".join(
        morpheme.reading_form() if morpheme.part_of_speech()[0] not in ("補助記号", "空白") else " "
        for morpheme in morphemes(text)
    )
    grams: list[str] = []
    for chunk in jaconv.hira2kata(reading).split():
        grams.extend(chunk[i:i + 2] for i in range(len(chunk) - 1))
    return grams
