"""FAQ ranker figures: accuracy on the campaign FAQ, latency and index build time at scale.

Run from the repository root:  python bench/faq.py  [--no-semantic] [--quick]
For `claimbot faq rank`:  python bench/faq.py --export-synthetic 1800 DIR  (then --score-rank)

(1) knowledge/faq.yaml with tests/data/faq_heldout.yaml (when present) and, always, a
    "held-out examples" set: the last example phrasing of every entry is taken out of the index
    and asked as a question; plus out-of-scope questions written here.
    Also tests/data/faq_fresh.yaml (when present), its dev and test halves on separate lines,
    and tests/data/faq_oos.yaml (when present: out-of-scope questions only), likewise.
(2) latency per query (p50/p95) and index build time at 30 and 2,000 entries; the 2,000 are a
    synthetic but realistic municipal FAQ generated from templates below (deterministic, offline),
    with a plain character-bigram BM25 baseline on the same entries and queries.
(3) every tests/data/faq_facts*.yaml (when present): the facts a person reads in the replies of
    `claimbot chat --jsonl`, per half (tests/test_faq_facts.py).
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
    embedded: int = 0  # queries whose embedding was computed (semantic path)
    cpu: float = 0.0  # CPU seconds spent in Ranker.rank (time.process_time)

    def line(self, label: str, cost: bool = False) -> str:
        d = self.decisions or Counter()
        n = max(self.n, 1)
        text = (
            f"  {label:<28} n={self.n:<4} top1={self.top1 / n:.3f} top3={self.top3 / n:.3f} "
            f"answer={d['answer'] / n:.2f} suggest={d['suggest'] / n:.2f} "
            f"none={d['none'] / n:.2f} right-answer={self.right_answers / n:.3f} "
            f"no-wrong-answer={self.safe / n:.3f}"
        )
        if cost:
            text += f" embedded={self.embedded / n:.2f} cpu={self.cpu / n * 1000:.1f}ms"
        return text


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
        ranker_mod._query_memo.clear()  # every question as if new: its embedding is counted
        skipped = r.stats["skipped"]
        t0 = time.process_time()
        ranking = r.rank(q, top_k=5)
        cpu = time.process_time() - t0
        verdict = decide(ranking)
        ids = [i for i, _ in ranking]
        t = ins if wants else outs
        t.n += 1
        t.cpu += cpu
        t.embedded += r.semantic and bool(ranking) and r.stats["skipped"] == skipped
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
    return _load_split("faq_fresh.yaml")


def load_oos() -> dict[str, list[tuple[str, Label]]]:
    """tests/data/faq_oos.yaml (out-of-scope questions) by split, or {} if it is not there."""
    return _load_split("faq_oos.yaml")


def _load_split(name: str) -> dict[str, list[tuple[str, Label]]]:
    path = ROOT / "tests" / "data" / name
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


def latency(r: Ranker, queries: list[str], repeat: int = 1) -> tuple[float, float, float]:
    """(p50, p95) wall milliseconds and mean CPU milliseconds of Ranker.rank over the queries.

    Wall time on a shared machine includes other processes' turns; CPU time (process_time, one
    OpenMP thread) is the work the query itself costs."""
    r.rank(queries[0])
    times = []
    cpu = 0.0
    for _ in range(repeat):
        for q in queries:
            ranker_mod._query_memo.clear()  # every query as if new: its embedding is measured
            t0, c0 = time.perf_counter(), time.process_time()
            r.rank(q, top_k=5)
            cpu += time.process_time() - c0
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return (statistics.median(times), times[int(0.95 * (len(times) - 1))],
            cpu / max(len(times), 1) * 1000)


def build(docs: list[Doc], semantic: bool, cache: Path | None) -> tuple[Ranker, float]:
    t0 = time.perf_counter()
    r = Ranker(docs, semantic=semantic, cache_dir=cache)
    return r, time.perf_counter() - t0


def export_synthetic(n: int, out: Path) -> None:
    """Write the synthetic FAQ for `claimbot faq rank`: faq.yaml, queries.txt, labels.txt."""
    sdocs, sitems = synthetic_faq(n)
    out.mkdir(parents=True, exist_ok=True)
    entries = [{"id": d.id, "question": d.question, "answer": d.answer} for d in sdocs]
    (out / "faq.yaml").write_text(yaml.safe_dump({"entries": entries}, allow_unicode=True,
                                                 sort_keys=False, width=200), encoding="utf-8")
    (out / "queries.txt").write_text("".join(f"{q}\n" for q, _ in sitems), encoding="utf-8")
    (out / "labels.txt").write_text("".join(f"{label}\n" for _, label in sitems),
                                    encoding="utf-8")
    print(f"{out}: {len(sdocs)} entries, {len(sitems)} questions; then\n"
          f"  claimbot faq rank --faq {out}/faq.yaml --queries {out}/queries.txt --top 5 "
          f"> ranking.jsonl\n  python bench/faq.py --score-rank {out}/labels.txt ranking.jsonl")


def score_rank(labels: Path, ranking: Path) -> None:
    """Top-1 of a `claimbot faq rank` output against labels.txt (one id per query line)."""
    import json

    wants = labels.read_text(encoding="utf-8").split()
    lines = [json.loads(x) for x in ranking.read_text(encoding="utf-8").splitlines() if x.strip()]
    firsts = [(x["ranking"] or [{"id": None}])[0]["id"] for x in lines]
    if len(firsts) != len(wants):
        raise SystemExit(f"{len(firsts)} rankings for {len(wants)} labels")
    ok = sum(f == w for f, w in zip(firsts, wants, strict=True))
    print(f"top1={ok / max(len(wants), 1):.2f} ({ok}/{len(wants)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-semantic", action="store_true", help="lexical path only")
    ap.add_argument("--quick", action="store_true", help="skip the 2,000-entry build")
    ap.add_argument("--export-synthetic", nargs=2, metavar=("N", "DIR"),
                    help="write an N-entry synthetic FAQ and its questions for `faq rank`")
    ap.add_argument("--score-rank", nargs=2, metavar=("LABELS", "RANKING"),
                    help="top-1 of a `claimbot faq rank` output")
    args = ap.parse_args()
    if args.export_synthetic:
        export_synthetic(int(args.export_synthetic[0]), Path(args.export_synthetic[1]))
        return
    if args.score_rank:
        score_rank(Path(args.score_rank[0]), Path(args.score_rank[1]))
        return
    # (label, semantic, cascade): "semantic" embeds every question, "cascade" (the default
    # Ranker) skips the embedding when the lexical evidence is decisive.
    modes = [("lexical", False, False)]
    if not args.no_semantic and semantic_available():
        modes += [("semantic", True, False), ("cascade", True, True)]
    print(f"thresholds: answer>={ranker_mod.ANSWER_THRESHOLD} (margin "
          f">={ranker_mod.ANSWER_MARGIN}), suggest>={ranker_mod.SUGGEST_THRESHOLD}; cascade: "
          f"skip the embedding at lexical confidence>={ranker_mod.SKIP_CONFIDENCE} and gap"
          f">={ranker_mod.SKIP_GAP}, or an exact phrasing")
    print("cpu = CPU time per question in Ranker.rank (one OpenMP thread, no question "
          "remembered); embedded = share of questions embedded")

    docs = load_campaign_docs()
    raw = yaml.safe_load((ROOT / "knowledge" / "faq.yaml").read_text(encoding="utf-8"))
    honest = frozenset(e["id"] for e in raw["entries"] if "範囲外" in (e.get("tags") or []))
    heldout = load_heldout()
    kept, ex_items = held_out_examples(docs)
    oos: list[tuple[str, Label]] = [(q, None) for q in OUT_OF_SCOPE]
    print(f"\n(1) campaign FAQ: {len(docs)} entries")
    for label, sem, cascade in modes:
        r = Ranker(docs, semantic=sem, cascade=cascade)
        if heldout is not None:
            ins, outs = evaluate(r, heldout, honest)
            print(f" [{label}] tests/data/faq_heldout.yaml")
            print(ins.line("in scope", cost=True))
            print(outs.line("out of scope", cost=True))
        else:
            print(f" [{label}] tests/data/faq_heldout.yaml not found: skipped")
        for split, items in load_fresh().items():
            ins, outs = evaluate(r, items, honest)
            print(f" [{label}] tests/data/faq_fresh.yaml, {split} half")
            print(ins.line(f"in scope ({split})", cost=True))
            print(outs.line(f"out of scope ({split})", cost=True))
        for split, items in load_oos().items():
            _, outs = evaluate(r, items, honest)
            print(f" [{label}] tests/data/faq_oos.yaml, {split} half")
            print(outs.line(f"out of scope, oos set ({split})", cost=True))
        ins, outs = evaluate(Ranker(kept, semantic=sem, cascade=cascade), ex_items + oos, honest)
        print(f" [{label}] last example of each entry held out + bench out-of-scope list")
        print(ins.line("held-out examples", cost=True))
        print(outs.line("out of scope (bench list)", cost=True))

    print(f"\n(2) speed ({os.environ.get('OMP_NUM_THREADS', 'all')} OpenMP thread(s); build "
          "without and with a warm disk cache; no query remembered; cpu = mean CPU per query)")
    sizes = [30] if args.quick else [30, 2000]
    for n in sizes:
        sdocs, sitems = synthetic_faq(n)
        queries = [q for q, _ in sitems] or [d.question for d in sdocs[:20]]
        queries = (queries * 4)[:200]
        built: dict[bool, tuple[Ranker, float, float]] = {}
        for label, sem, cascade in modes:
            if sem not in built:
                with tempfile.TemporaryDirectory() as tmp:
                    ranker_mod._memo.clear()
                    r, cold = build(sdocs, sem, Path(tmp))
                    ranker_mod._memo.clear()
                    _, warm = build(sdocs, sem, Path(tmp))
                built[sem] = (r, cold, warm)
            r, cold, warm = built[sem]
            r.cascade = cascade
            p50, p95, cpu = latency(r, queries)
            ins, _ = evaluate(r, sitems)
            print(f"  n={n:<5} {label:<9} build cold={cold:6.2f}s warm={warm:5.2f}s "
                  f"query p50={p50:5.1f}ms p95={p95:5.1f}ms cpu={cpu:5.1f}ms "
                  f"embedded={ins.embedded / max(ins.n, 1):.2f} "
                  f"synthetic paraphrase top1={ins.top1 / max(ins.n, 1):.2f} (n={ins.n})")
        bq, bqa = bm25_baseline(sdocs, sitems)
        print(f"  n={n:<5} baseline: char-bigram BM25 top1 over question={bq:.2f}, "
              f"over question+answer={bqa:.2f} (same queries)")

    for facts_set in sorted((ROOT / "tests" / "data").glob("faq_facts*.yaml")):
        from tests.test_faq_facts import measure, report  # noqa: PLC0415
        print(f"\n(3) right facts as a person reads them: tests/data/{facts_set.name}, each "
              "question from a new user\n    through `claimbot chat --jsonl` (in scope and OOS on "
              "2023-03-15, passed deadlines on 2026-11-27)")
        print(report(measure(facts_set)))


if __name__ == "__main__":
    main()
