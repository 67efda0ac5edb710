"""Finding a person's answer in what they typed: plain verb forms, negation, kana readings.

People answer 「もらいました」「残ってました」「覚えてないです」「わかりません」 where a flow lists
もらった, 残っていた, 覚えていない, わからない, and some type only hiragana on a phone.
- :func:`plain` folds polite, humble and contracted conjugations to one plain form; it is used
  on both sides, the text and the phrases, so a phrase is written once in any form.
- :func:`find` gives where phrases occur and are not negated right after
  (「チャージして」 in 「チャージしてない」 is not a match).
- :func:`reading` is the hiragana reading (pykakasi): 「げんきんではらった」 meets 「現金で払った」.
Pure and total: never raises on any ``str``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.textnorm import normalize

# Ordered: humble and contracted forms first, then negatives, then polite past and present.
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(a), b) for a, b in (
        # Kansai and western forms: 使えんかった, わからん, もろた, しもうた, 残っとりました
        # 〜てん is 〜たんだ: 使われへんかってん, 残っとってん (the past, said as a story)
        (r"(?:ん|へん)かってん", "なかった"),
        (r"(?<=[っ])てん(?=$|けど|から|で|や|よ|な|し)", "た"),
        (r"(?:ん|へん)かった", "なかった"),
        # (not the copula ねん: わからへんねん, 大変やねん)
        (r"(?<=[らかさまわがばえけきねめれげべ])(?<![いなやたてだんの]ね)ん(?=$|の|けど|から|し|よ|わ|ね|や)",
         "ない"),
        # へん after a verb stem: わからへん, 使われへん, 使てへん, 覚えてへん, せえへん
        (r"(?<=[らかさまわがばえけきねめれげべてで])へん(?![ぁ-ゖ])", "ない"),
        (r"(?<=[らかさまわがばえけきねめれげべてで])へん(?=の|けど|から|し|よ|わ|ね|や|で|かな)",
         "ない"),
        # Kyushu 〜とらん is 〜ていない (the ん already ない above): 入れとらん, 残っとらんかった
        (r"(?<=[えけせてねへめれげぜでべっ])とら(?=な)", "て"),
        (r"(?<=[使買払言貰])うとら(?=な)", "って"),  # Hiroshima 使うとらん: 使っていない
        # Tohoku and Kanto 〜ねぇ / 〜ねがった: 使えねぇ, 使えねがった
        (r"(?<=[えけせてねへめれげぜでべ])ね(?:え|ぇ|ー)(?![ぁ-ゖ])", "ない"),
        (r"(?<=[えけせてねへめれげぜでべ])ね(?:え|ぇ|ー)(?=まま|で|けど|から|し|よ|の|ん)",
         "ない"),
        (r"(?<=[えけせてねへめれげぜでべ])ねがった", "なかった"),
        (r"(?<=て)だ(?=$|っちゃ|っしゃ|よ|ね|けど|げど|から|の|べ|な)", "た"),  # Tohoku 残ってだ
        (r"すっ(?=から|けど|よ|ね)", "する"),  # 電話すっから: する
        (r"どげん|どがん|どぎゃん", "どう"),  # Kyushu: どげんなっとると
        (r"のごど", "のこと"), (r"だげんど(?:も)?", "だけど"),  # Tohoku: クーポンのごどだげんども
        (r"まんま", "まま"), (r"(?<=[使買払言貰])うた", "った"),  # 紙のまんま, 全部使うた
        (r"(?<=し)と(?=った|る|りま)", "てお"),  # チャージしとった → チャージしておった
        (r"もろ(?:う)?た|もろ(?:う)?てん", "もらった"),
        (r"しも(?:う)?た", "しまった"), (r"しも(?:う)?て", "しまって"),
        (r"っと(?=りま|った|る)", "ってお"), (r"どない", "どう"),
        (r"ござい(?=ま)", "あり"),  # 残高はございました → ありました → あった
        (r"いたし", "し"), (r"させていただ", "する"), (r"することができ", "でき"),
        (r"(て|で)おりま", r"\1いま"),  # 残っておりました → 残っていました
        (r"(て|で)おった", r"\1いた"), (r"(て|で)おる", r"\1いる"),
        (r"てしま(?:った|いました)", "た"), (r"でしま(?:った|いました)", "だ"),  # なくした
        (r"(て|で)しまって", r"\1"),
        (r"ちゃ(?:った|いました)", "た"), (r"じゃ(?:った|いました)", "だ"), (r"ちゃって", "て"),
        (r"(て|で)い(?=[なたるま])", r"\1"),  # ている→てる, ていた→てた, ていない→てない
        (r"わかんな", "わからな"), (r"(?<!こ)とです$", ""), (r"分か(?=[らりるれろっ])", "わか"),
        (r"ありません(?:でした)?", "ない"), (r"りません(?:でした)?", "らない"),
        (r"(?<![てで])いません(?:でした)?", "わない"), (r"ちません(?:でした)?", "たない"),
        (r"ません(?:でした)?", "ない"), (r"なかった(?:です)?|ないです", "ない"),
        (r"りました", "った"), (r"(?<![てで])いました", "った"), (r"ちました", "った"),
        (r"(?<![で行起生])きました", "いた"), (r"びました", "んだ"), (r"ました", "た"),
        (r"ります", "る"), (r"(?<![てで])います", "う"), (r"します", "する"),
        (r"(?<![で起生尽飽])きます", "く"),  # やめておきます → やめておく, 聞きます → 聞く
        (r"ます", "る"),
        (r"でした", "だった"), (r"です", ""),
    )
]
# 「わからん、」「わからんｗ」: the Kansai ない before a mark that normalize() drops, found in
# the text as typed (not after 「ごめん」 or 「〜さん」).
_N_BEFORE_MARK = re.compile(
    r"(?<=[らかまわがばえけきねめれげべ])(?<!ごめ)(?<![いなやたてだんの]ね)ん"
    r"(?=[、。，,.．!！?？…\s　]|[wｗWＷ笑])")
# 「現金で払ってん。そしたら…」: the Kansai past 〜てん before a mark, as 〜た.
_TEN_BEFORE_MARK = re.compile(r"(?<=っ)てん(?=[、。，,.．!！?？…\s　]|[wｗWＷ笑])")
# Small kana folded to large: phones drop them (のこつてた), and both sides are folded alike.
_SMALL = str.maketrans("ぁぃぅぇぉっゃゅょゎ", "あいうえおつやゆよわ")
_NEGATED_AFTER = tuple(w.translate(_SMALL) for w in (
    "ない", "なく", "ず", "ぬ", "しない", "せず", "してな", "じゃな", "ではな", "やな",
    "てない", "てなか", "でない", "でなか",
    # a particle before the negation: 「引かれてはいない」「引かれてもいない」「引かれはしなかった」
    "てはいな", "てはな", "ではいな", "てもいな", "てもな", "でもいな", "はしな", "はせず",
    "はされてな", "はされな", "もされてな", "もされな"))
_NEGATIONS = ("ない", "なく")
_CLAUSE_ENDS = ("のに", "けど", "けれど", "から", "ので", "たら")
_NEAR = 8  # a short word ("現金", "2回") is negated by a ない this close, in its clause,
_TOPIC = ("では", "じゃ", "は", "も", "なんか", "など")  # after a particle that puts it in scope


def fold_small_kana(text: str) -> str:
    """Small kana as full-size (しょうがい → しようがい), as readings and phones often differ."""
    return text.translate(_SMALL)


def plain(text: str) -> str:
    """Normalised text without spaces, polite and contracted conjugations folded to plain."""
    out = normalize(_TEN_BEFORE_MARK.sub("た", _N_BEFORE_MARK.sub("ない", text))).replace(" ", "")
    for pattern, repl in _RULES:
        out = pattern.sub(repl, out)
    return out.translate(_SMALL)


@lru_cache(maxsize=4096)
def plain_phrase(phrase: str) -> str:
    """`plain` of a phrase from a flow or a list (cached: phrases repeat)."""
    return plain(phrase)


def find(text_plain: str, phrase_plain: str, short: bool | None = None
         ) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of the phrase that is not negated after it:
    right after (「チャージして」 in 「チャージしてない」), or for a short word, later in its
    clause (「現金」 in 「現金では払ってない」, not in 「現金で払ったのに引かれてない」)."""
    spans: list[tuple[int, int]] = []
    if not phrase_plain:
        return spans
    start = text_plain.find(phrase_plain)
    while start >= 0:
        end = start + len(phrase_plain)
        if phrase_plain.endswith(("ない", "ず")) or not _negated(
                text_plain[end:], len(phrase_plain) <= 3 if short is None else short):
            spans.append((start, end))
        start = text_plain.find(phrase_plain, start + 1)
    return spans


# A phrase of any length whose light verb is denied after a particle: 「アプリにチャージは一度も
# していない」「アプリに入れたりはしていない」「チャージなんてしてない」「アプリで払ったことはない」
# (the verb is する/やる or the phrase's own: the ない is about the phrase, not another word).
_LIGHT_DENIAL = re.compile(
    "^(?:(?:は|も|なんて|なんか|とか|たりは|たりも|たり|りは|りも|までは|までも|では|じゃ)"
    "(?:一度も|1度も|一回も|1回も|全然|全く|まだ|何も|特に|別に|いちども|いつかいも|ぜんぜん"
    "|まつたく|なにも|とくに|べつに|そもそも)?"
    "(?:してない|してなかつ|しない|しなかつ|やつてない|やらない|やらなかつ|ない|なかつ)"
    "|(?:つ?た)?こと(?:は|が|も)(?:一度も|1度も|全然|いちども|ぜんぜん)?ない"
    # 「二重にもなってない」「2重にはならなかった」: becoming so is denied
    "|に(?:は|も)(?:なつてない|なつてなかつ|ならない|ならなかつ))")


def _negated(rest: str, short: bool) -> bool:
    if rest.startswith(_NEGATED_AFTER):
        return True
    if _LIGHT_DENIAL.match(rest):
        return True
    if not short or not rest.startswith(_TOPIC):
        return False  # 「エラーでできなかった」: the ない is about another word
    window = rest[:_NEAR]
    for end in _CLAUSE_ENDS:
        window = window.split(end, 1)[0]
    return any(neg in window for neg in _NEGATIONS)


def has_kanji(text: str) -> bool:
    """Whether any CJK ideograph is in the text."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


_kakasi: Any = None


def reading(text: str) -> str:
    """The hiragana reading of (already plain) text: kanji read by pykakasi, kana kept."""
    if not has_kanji(text):
        return text
    return _reading(text)


@lru_cache(maxsize=4096)
def _reading(text: str) -> str:
    global _kakasi
    if _kakasi is None:
        import pykakasi  # loads its dictionaries (about 0.7 s): once per process

        _kakasi = pykakasi.kakasi()
    try:
        return "".join(part["hira"] for part in _kakasi.convert(text)).translate(_SMALL)
    except Exception:  # noqa: BLE001 - a reading is a hint; never fail an answer over it
        return text


def best(text: str, options: list[tuple[Any, list[str]]]) -> Any | None:
    """The option whose phrase ends last in the text (the predicate comes last in Japanese);
    ties go to the longer phrase. With no match as typed, readings are compared
    (「げんきんで払った」, 「たいしょうか確認したい」)."""
    text_plain = plain_phrase(text)
    found = _best(text_plain, options, reading_space=False)
    if found is None and text_plain:
        found = _best(reading(text_plain), options, reading_space=True)
    return found


def warm() -> None:
    """Load the reading dictionaries now (at start-up), not during someone's first answer."""
    _reading("補償")


def denied(text_plain: str, phrase_plain: str, short: bool | None = None
           ) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of the phrase that is negated after it."""
    found = set(find(text_plain, phrase_plain, short))
    spans, start = [], text_plain.find(phrase_plain) if phrase_plain else -1
    while start >= 0:
        span = (start, start + len(phrase_plain))
        if span not in found:
            spans.append(span)
        start = text_plain.find(phrase_plain, start + 1)
    return spans


def _best(text_plain: str, options: list[tuple[Any, list[str]]],
          reading_space: bool) -> Any | None:
    hits: list[tuple[int, int, Any]] = []
    no: list[tuple[int, int]] = []
    for value, phrases in options:
        for phrase in phrases:
            target = plain_phrase(phrase)
            short = len(target) <= 3  # as written, not as read
            if reading_space:
                target = reading(target)
            hits += [(start, end, value) for start, end in find(text_plain, target, short)]
            no += denied(text_plain, target, short)
    top: tuple[int, int] | None = None
    chosen = None
    for start, end, value in hits:
        if any(s <= start and end <= e and e - s > end - start for s, e in no):
            continue  # 「アプリ」 inside a denied 「アプリにチャージ」(は一度もしていない)
        key = (end, end - start)
        if top is None or key > top:
            top, chosen = key, value
    return chosen


def contains(text: str, phrases: list[str]) -> bool:
    """Whether any phrase occurs, not negated, in the text (or in its reading)."""
    return best(text, [(True, phrases)]) is not None
