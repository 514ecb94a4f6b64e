"""How the customer feels, from the words they use: angry, worried, or neither.

An angry customer gets an apology before anything else; a worried one a
reassuring first line (data/policy/answers.yml, `tone`). The word lists are
deliberately short and specific: a question that merely mentions 「削除」 or asks
whether data is used 「勝手に」 is not anger (an apology to a calm question jars),
nor are words that only contain an angry one: 刑事訴訟法 (訴訟), こうざ (うざ),
かたくそうさく (くそ).
"""

from __future__ import annotations

import re
from enum import Enum

from bot.text import normalize


class Tone(Enum):
    NEUTRAL = "neutral"
    ANGRY = "angry"
    WORRIED = "worried"


_ANGRY = re.compile(
    "|".join([
        r"ふざけ", r"最低", r"さいてい", r"許せ", r"ゆるせ", r"許さ", r"ゆるさ",
        r"頭にく", r"腹が?立", r"腹立", r"むかつ", r"ムカつ", r"ムカツ", r"怒", r"いい加減", r"いいかげん",
        r"ありえ(ない|ねー|ねえ)", r"あり得ない", r"訴え", r"訴訟(?!法)", r"なめてん", r"舐めてん", r"何様",
        r"クソ", r"くそ(?!う)", r"糞", r"迷惑なんだよ", r"やがって", r"やがる", r"てめ", r"お前ら", r"おまえら",
        r"どうなってんだ", r"どうなってるんだ", r"責任(とれ|取れ|者を出せ|者出せ)", r"金返せ", r"謝れ", r"あやまれ",
        r"(消|け|や|止|と)めろ", r"消せ", r"けせ", r"使うな", r"つかうな", r"くんな", r"来んな", r"二度と",
        r"不愉快", r"不快",
        r"！{2,}", r"!{2,}",
        # dissatisfaction and exasperation
        r"最悪", r"さいあく", r"うざ(い|っ|すぎ|く|かっ)", r"ウザ", r"ぼったくり", r"気持ち悪", r"きもちわる",
        r"話にならな",
        r"待たせ(る気|すぎ|やがる)", r"いつまで待た", r"(雑|ひど|酷)すぎ", r"聞いてない(ぞ|よ)", r"ざけんな",
        r"冗談じゃな", r"信じられな", r"呆れ", r"あきれ", r"がっかり", r"不誠実",
        r"意味(が)?(わか|分か)ん(ない|ねー|ねえ)", r"納得(でき|いか|行か)(ない|ねー|ねえ)",
        r"だろうな[?？]?$", r"かよ[?？!！]?$", r"どうしてくれる", r"でしょ[!！]", r"だろ[!！]",
    ])
)
_WORRIED = re.compile(
    "|".join([
        r"心配", r"しんぱい", r"不安", r"ふあん", r"怖い", r"こわい", r"恐ろしい", r"困って", r"こまって",
        r"大丈夫でしょうか", r"だいじょうぶでしょうか", r"よくわから(ない|なくて)", r"年寄り", r"としより",
        r"高齢", r"機械が苦手", r"パソコンが苦手", r"詐欺", r"さぎ", r"悪用", r"あくよう",
    ])
)


def tone_of(text: str) -> Tone:
    """ANGRY when the text insults, accuses or orders; WORRIED when it fears
    or asks for reassurance; NEUTRAL otherwise. Anger wins over worry."""
    folded = normalize(text)
    if _ANGRY.search(folded):
        return Tone.ANGRY
    if _WORRIED.search(folded):
        return Tone.WORRIED
    return Tone.NEUTRAL
