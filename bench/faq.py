"""FAQ ranker figures: accuracy on the campaign FAQ, latency and index build time at scale.

Run from the repository root:  python bench/faq.py  [--no-semantic] [--quick]

(1) knowledge/faq.yaml with tests/data/faq_heldout.yaml (when present) and, always, a
    "held-out examples" set: the last example phrasing of every entry is taken out of the index
    and asked as a question; plus out-of-scope questions written here.
    Also tests/data/faq_fresh.yaml (when present), its dev and test halves on separate lines.
(2) latency per query (p50/p95) and index build time at 30 and 2,000 entries; the 2,000 are a
    synthetic but realistic municipal FAQ generated from templates below (deterministic, offline),
    with a plain character-bigram BM25 baseline on the same entries and queries.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.faq import ranker as ranker_mod  # noqa: E402
from bot.faq.ranker import Doc, Ranker, decide, semantic_available  # noqa: E402

OUT_OF_SCOPE = [
    "今日の天気はどうですか",
    "おすすめのラーメン屋を教えて",
    "奈良公園の鹿にせんべいをあげてもいいですか",
    "GoToトラベルの給付金はいつもらえますか",
    "ふるさと納税の返礼品を変更したい",
    "パスポートの申請に必要なものは",
    "ホテルの予約をキャンセルしたい",
    "電車の時刻表を調べて",
    "住民票の写しはどこでとれますか",
    "確定申告のやり方を教えてください",
    "マイナポイントの申し込み方法",
    "asdf qwerty",
    "ありがとう",
    "こんにちは",
    "東大寺の拝観料はいくら",
    "PayPayの残高を銀行に出金したい",
    "宿の駐車場は何台とめられますか",
    "Wi-Fiのパスワードを教えて",
]


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0
    decisions: Counter[str] | None = None
    safe: int = 0
    right_answers: int = 0

    def line(self, label: str) -> str:
        d = self.decisions or Counter()
        n = max(self.n, 1)
        return (
            f"  {label:<28} n={self.n:<4} top1={self.top1 / n:.3f} top3={self.top3 / n:.3f} "
            f"answer={d['answer'] / n:.2f} suggest={d['suggest'] / n:.2f} "
            f"none={d['none'] / n:.2f} right-answer={self.right_answers / n:.3f} "
            f"no-wrong-answer={self.safe / n:.3f}"
        )


Label = str | list[str] | None


def evaluate(r: Ranker, items: list[tuple[str, Label]],
             honest: frozenset[str] = frozenset()) -> tuple[Tally, Tally]:
    """Tallies (in scope, out of scope) for (question, right id(s) or None) pairs.

    The engine shows the first entry's answer for "answer" and, under "もしかして", for
    "suggest" too: "right-answer" counts both when that entry is right. Entries in `honest`
    (tagged 範囲外) say plainly what the bot does not cover: no wrong answer out of scope.
    """
    ins, outs = Tally(decisions=Counter()), Tally(decisions=Counter())
    for q, label in items:
        wants = [label] if isinstance(label, str) else list(label or [])
        ranking = r.rank(q, top_k=5)
        verdict = decide(ranking)
        ids = [i for i, _ in ranking]
        t = ins if wants else outs
        t.n += 1
        assert t.decisions is not None
        t.decisions[verdict] += 1
        if wants:
            first = ids[0] in wants if ids else False
            t.top1 += first
            t.top3 += any(i in wants for i in ids[:3])
            t.right_answers += verdict != "none" and first
            t.safe += verdict == "none" or first
        else:
            t.safe += verdict == "none" or (bool(ids) and ids[0] in honest)
    return ins, outs


def load_campaign_docs() -> list[Doc]:
    """The campaign FAQ with answers rendered (or placeholders blanked if rendering fails)."""
    data = yaml.safe_load((ROOT / "knowledge" / "faq.yaml").read_text(encoding="utf-8"))
    render = _renderer()
    docs = []
    for e in data["entries"]:
        answer = render(e["answer"])
        docs.append(Doc(e["id"], e["question"], answer, tuple(e.get("examples") or ())))
    return docs


def _renderer():  # type: ignore[no-untyped-def]
    try:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        from bot.knowledge.facts import load_facts
        from bot.knowledge.render import render

        facts = load_facts(ROOT / "knowledge" / "campaign.yaml")
        now = datetime.now(ZoneInfo("Asia/Tokyo"))
        render(" ", facts, now)
        return lambda t: _safe_render(render, t, facts, now)
    except Exception as exc:  # the renderer may not exist yet
        print(f"  (answers not rendered: {type(exc).__name__}; placeholders blanked)")
        return lambda t: re.sub(r"\{[^{}]*\}", " ", t)


def _safe_render(render, text, facts, now):  # type: ignore[no-untyped-def]
    try:
        return render(text, facts, now)
    except Exception:
        return re.sub(r"\{[^{}]*\}", " ", text)


def load_heldout() -> list[tuple[str, Label]] | None:
    """tests/data/faq_heldout.yaml as (question, id or None), or None if it is not there."""
    path = ROOT / "tests" / "data" / "faq_heldout.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(str(x["q"]), x.get("id")) for x in data["questions"]]


def load_fresh() -> dict[str, list[tuple[str, Label]]]:
    """tests/data/faq_fresh.yaml by split ("dev", "test"), or {} if it is not there."""
    path = ROOT / "tests" / "data" / "faq_fresh.yaml"
    if not path.exists():
        return {}
    out: dict[str, list[tuple[str, Label]]] = {}
    for x in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
        out.setdefault(str(x.get("split", "dev")), []).append((str(x["q"]), x.get("id")))
    return out


def bm25_baseline(docs: list[Doc], items: list[tuple[str, Label]]) -> tuple[float, float]:
    """Top-1 of plain character-bigram BM25 over (question) and over (question + answer)."""
    from bot.textnorm import char_ngrams, normalize

    def top1(texts: list[str]) -> float:
        bm = ranker_mod._BM25([char_ngrams(normalize(t), 2) for t in texts])
        ok = 0
        for q, label in items:
            wants = [label] if isinstance(label, str) else list(label or [])
            scores = bm.score(char_ngrams(normalize(q), 2))
            ok += docs[int(scores.argmax())].id in wants
        return ok / max(len(items), 1)

    return top1([d.question for d in docs]), top1([f"{d.question} {d.answer}" for d in docs])


def held_out_examples(docs: list[Doc]) -> tuple[list[Doc], list[tuple[str, Label]]]:
    """Docs without their last example, and those examples as labelled questions."""
    kept, items = [], []
    for d in docs:
        if len(d.examples) >= 2:
            items.append((d.examples[-1], d.id))
            d = replace(d, examples=d.examples[:-1])
        kept.append(d)
    return kept, items


# --- a synthetic municipal FAQ ------------------------------------------------------------

TOPICS = [
    ("住民票の写し", "取得"), ("印鑑登録証明書", "取得"), ("戸籍謄本", "取得"),
    ("マイナンバーカード", "申請"), ("転入届", "提出"), ("転出届", "提出"), ("婚姻届", "提出"),
    ("出生届", "提出"), ("国民健康保険", "加入"), ("国民年金", "加入"), ("児童手当", "申請"),
    ("粗大ごみ", "処分"), ("資源ごみ", "処分"), ("家庭ごみ", "処分"), ("犬の登録", "手続き"),
    ("狂犬病予防注射", "受けること"), ("固定資産税", "納付"), ("住民税", "納付"),
    ("軽自動車税", "納付"), ("保育所の入所", "申し込み"), ("学童保育", "申し込み"),
    ("介護保険", "申請"), ("要介護認定", "申請"), ("予防接種", "予約"), ("がん検診", "予約"),
    ("市営住宅", "申し込み"), ("水道の使用開始", "手続き"), ("下水道の使用料", "支払い"),
    ("図書館の利用カード", "作成"), ("公民館", "予約"), ("体育館", "予約"),
    ("道路の穴", "通報"), ("街灯の故障", "通報"), ("空き家", "相談"), ("消費生活", "相談"),
    ("子ども医療費助成", "申請"), ("ひとり親家庭の医療費", "申請"), ("生活保護", "相談"),
    ("期日前投票", "手続き"), ("パスポート", "申請"), ("自転車の放置", "相談"),
    ("ハザードマップ", "入手"), ("避難所", "確認"), ("防災無線", "確認"), ("ごみ収集日", "確認"),
    ("浄化槽の補助金", "申請"), ("住宅リフォーム補助", "申請"), ("就学援助", "申請"),
    ("成人式", "参加"), ("健康診断", "予約"),
]
ASPECTS = [
    ("方法", "{t}の{a}方法を教えてください", "{t}はどうやって{a}すればいいですか"),
    ("必要書類", "{t}の{a}に必要なものは何ですか", "{t}で何を持っていけばいい"),
    ("手数料", "{t}の{a}に手数料はかかりますか", "{t}っていくらかかる？"),
    ("窓口", "{t}の{a}はどこでできますか", "{t}の窓口はどこ"),
    ("受付時間", "{t}の受付時間を教えてください", "{t}は何時まで受け付けてる？"),
    ("代理人", "{t}の{a}を代理人がすることはできますか", "家族が代わりに{t}を{a}できる？"),
    ("郵送", "{t}の{a}は郵送でもできますか", "{t}を郵便で{a}したい"),
    ("オンライン", "{t}の{a}はインターネットでできますか", "{t}をネットで{a}する方法"),
    ("期限", "{t}の{a}に期限はありますか", "{t}はいつまでに{a}すればいい"),
    ("休日", "{t}の{a}は土日もできますか", "日曜日に{t}の{a}はできる？"),
    ("対象", "{t}の{a}の対象者は誰ですか", "自分は{t}の{a}の対象になる？"),
    ("変更", "{t}の内容を変更したいときはどうすればいいですか", "{t}を変更したい"),
    ("再発行", "{t}をなくした場合はどうなりますか", "{t}を紛失した"),
    ("外国人", "外国籍の方も{t}の{a}ができますか", "外国人でも{t}を{a}できる？"),
    ("引っ越し", "引っ越したときの{t}の手続きは", "引越しで{t}はどうなる"),
    ("問い合わせ", "{t}についての問い合わせ先はどこですか", "{t}のことで電話したい"),
    ("必要日数", "{t}の{a}にはどれくらい日数がかかりますか", "{t}は何日でできる？"),
    ("本人確認", "{t}の{a}に本人確認書類は必要ですか", "{t}に身分証はいる？"),
    ("子ども", "子どもの{t}の{a}は親ができますか", "子の{t}を{a}したい"),
    ("障害者", "障害のある方の{t}の{a}に配慮はありますか", "車いすで{t}の{a}に行ける？"),
]
DEPTS = ["市民課", "保険年金課", "環境政策課", "税務課", "子育て支援課", "介護保険課", "健康推進課",
         "住宅政策課", "上下水道局", "生涯学習課", "道路維持課", "危機管理課", "福祉総務課"]
PIECES = [
    "{d}の窓口（本庁舎{f}階）で受け付けています。",
    "受付時間は平日の午前8時45分から午後5時30分までです。",
    "手数料は1件につき{fee}円です。",
    "本人確認書類（マイナンバーカード、運転免許証など）をお持ちください。",
    "郵送での手続きも可能です。申請書に必要事項を記入し、返信用封筒を同封してください。",
    "代理人の方が手続きする場合は委任状が必要です。",
    "市のホームページから申請書をダウンロードできます。",
    "詳しくは{d}（電話 06-{p1}-{p2}）までお問い合わせください。",
    "土曜日・日曜日・祝日は取り扱っていません。",
    "処理には通常{days}日程度かかります。",
    "オンライン申請はマイナポータルから行えます。",
    "各支所でも受け付けていますが、一部の手続きは本庁舎のみとなります。",
]


def synthetic_faq(n: int, seed: int = 7) -> tuple[list[Doc], list[tuple[str, Label]]]:
    """n municipal-style entries and one paraphrased question for a sample of them."""
    rng = random.Random(seed)
    combos = [(t, a, asp) for t, a in TOPICS for asp in ASPECTS]
    rng.shuffle(combos)
    docs, items = [], []
    for i in range(n):
        (topic, act, (aspect, q_tpl, para_tpl)) = combos[i % len(combos)]
        suffix = "" if i < len(combos) else f"（{DEPTS[i % len(DEPTS)]}）"
        dept = rng.choice(DEPTS)
        pieces = rng.sample(PIECES, k=rng.randint(3, 6))
        answer = f"{topic}の{aspect}についてのご案内です。" + "".join(
            p.format(d=dept, f=rng.randint(1, 5), fee=rng.choice([200, 300, 350, 450]),
                     p1=rng.randint(6000, 6999), p2=rng.randint(1000, 9999),
                     days=rng.randint(3, 14))
            for p in pieces
        )
        doc_id = f"syn-{i:05d}"
        docs.append(Doc(doc_id, q_tpl.format(t=topic, a=act) + suffix, answer))
        if i % 10 == 0 and not suffix:
            items.append((para_tpl.format(t=topic, a=act), doc_id))
    return docs, items


def latency(r: Ranker, queries: list[str], repeat: int = 1) -> tuple[float, float]:
    """(p50, p95) milliseconds of Ranker.rank over the queries."""
    r.rank(queries[0])
    times = []
    for _ in range(repeat):
        for q in queries:
            ranker_mod._query_memo.clear()  # every query as if new: its embedding is measured
            t0 = time.perf_counter()
            r.rank(q, top_k=5)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def build(docs: list[Doc], semantic: bool, cache: Path | None) -> tuple[Ranker, float]:
    t0 = time.perf_counter()
    r = Ranker(docs, semantic=semantic, cache_dir=cache)
    return r, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-semantic", action="store_true", help="lexical path only")
    ap.add_argument("--quick", action="store_true", help="skip the 2,000-entry build")
    args = ap.parse_args()
    modes = [False] if args.no_semantic or not semantic_available() else [False, True]
    print(f"thresholds: answer>={ranker_mod.ANSWER_THRESHOLD} (margin "
          f">={ranker_mod.ANSWER_MARGIN}), suggest>={ranker_mod.SUGGEST_THRESHOLD}")

    docs = load_campaign_docs()
    raw = yaml.safe_load((ROOT / "knowledge" / "faq.yaml").read_text(encoding="utf-8"))
    honest = frozenset(e["id"] for e in raw["entries"] if "範囲外" in (e.get("tags") or []))
    heldout = load_heldout()
    kept, ex_items = held_out_examples(docs)
    oos: list[tuple[str, Label]] = [(q, None) for q in OUT_OF_SCOPE]
    print(f"\n(1) campaign FAQ: {len(docs)} entries")
    for sem in modes:
        label = "semantic" if sem else "lexical"
        r = Ranker(docs, semantic=sem)
        if heldout is not None:
            ins, outs = evaluate(r, heldout, honest)
            print(f" [{label}] tests/data/faq_heldout.yaml")
            print(ins.line("in scope"))
            print(outs.line("out of scope"))
        else:
            print(f" [{label}] tests/data/faq_heldout.yaml not found: skipped")
        for split, items in load_fresh().items():
            ins, outs = evaluate(r, items, honest)
            print(f" [{label}] tests/data/faq_fresh.yaml, {split} half")
            print(ins.line(f"in scope ({split})"))
            print(outs.line(f"out of scope ({split})"))
        ins, outs = evaluate(Ranker(kept, semantic=sem), ex_items + oos, honest)
        print(f" [{label}] last example of each entry held out + bench out-of-scope list")
        print(ins.line("held-out examples"))
        print(outs.line("out of scope (bench list)"))

    print(f"\n(2) speed ({os.environ.get('OMP_NUM_THREADS', 'all')} OpenMP thread(s); build "
          "without and with a warm disk cache; no query remembered)")
    sizes = [30] if args.quick else [30, 2000]
    for n in sizes:
        sdocs, sitems = synthetic_faq(n)
        queries = [q for q, _ in sitems] or [d.question for d in sdocs[:20]]
        queries = (queries * 4)[:200]
        for sem in modes:
            label = "semantic" if sem else "lexical"
            with tempfile.TemporaryDirectory() as tmp:
                ranker_mod._memo.clear()
                r, cold = build(sdocs, sem, Path(tmp))
                ranker_mod._memo.clear()
                _, warm = build(sdocs, sem, Path(tmp))
            p50, p95 = latency(r, queries)
            ins, _ = evaluate(r, sitems)
            print(f"  n={n:<5} {label:<9} build cold={cold:6.2f}s warm={warm:5.2f}s "
                  f"query p50={p50:5.1f}ms p95={p95:5.1f}ms "
                  f"synthetic paraphrase top1={ins.top1 / max(ins.n, 1):.2f} (n={ins.n})")
        bq, bqa = bm25_baseline(sdocs, sitems)
        print(f"  n={n:<5} baseline: char-bigram BM25 top1 over question={bq:.2f}, "
              f"over question+answer={bqa:.2f} (same queries)")


if __name__ == "__main__":
    main()
