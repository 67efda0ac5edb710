"""The conversation engine: a pure step from (state, input) to (state, replies, effects).

No network, no database, no clock reads: the caller passes `now`, the knowledge and the
matcher, and carries out the effects (store an unanswered question, ...) in its transaction.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz

from bot import english, phrases, slots
from bot.clock import JST, format_date
from bot.faq.matcher import Match, Matcher
from bot.flow import Dialog, label_choice, new_dialog
from bot.knowledge import Knowledge
from bot.knowledge.render import render
from bot.privacy import redact
from bot.textnorm import normalize

MAX_TEXT = 400  # characters read from one message; the rest is not needed to find an answer
LABEL_MAX = 20  # LINE's limit for a button label
OUT_OF_SCOPE_TAG = "範囲外"  # FAQ entries that say honestly what the bot does not cover

Message = dict[str, Any]


@dataclass(frozen=True)
class Input:
    """One thing a person did: typed `text`, tapped a button (`postback`), or an `event`
    such as "follow" (added the bot as a friend)."""

    text: str | None = None
    postback: str | None = None
    event: str | None = None


@dataclass(frozen=True)
class ClaimView:
    """What the person may see of a claim they filed in this conversation."""

    receipt: str
    status: str
    filed_at: datetime
    personal_deleted: bool = False


@dataclass(frozen=True)
class Context:
    """What a step may read: the time, the knowledge, the FAQ matcher, the person's claims."""

    now: datetime
    knowledge: Knowledge
    matcher: Matcher
    claims: tuple[ClaimView, ...] = ()
    privacy_url: str = "http://localhost:8000/privacy"


@dataclass
class Step:
    """The result of one step."""

    state: dict[str, Any]
    messages: list[Message] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)


def text_message(text: str, buttons: list[dict[str, str]] | None = None) -> Message:
    """A text bubble, with buttons if any."""
    message: Message = {"type": "text", "text": text.strip()}
    if buttons:
        message["buttons"] = buttons
    return message


def short_label(text: str) -> str:
    """A button label within LINE's 20 characters."""
    text = " ".join(text.split())
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


class _Turn:
    """Helpers bound to one step's context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.k = ctx.knowledge
        self._matches: dict[str, Match] = {}

    def match(self, raw: str) -> Match:
        """The FAQ's match for a text, computed once in a turn however many routes ask."""
        found = self._matches.get(raw)
        if found is None:
            if english.is_english(raw):
                # Matched by its words of this matter in Japanese; English with none of them
                # (「what's the weather tomorrow?」) is not a question the FAQ answers.
                query = english.to_japanese(
                    raw, self.k.messages.english_terms, self.k.messages.english_words)
                found = Match("none", []) if query is None else self.ctx.matcher.match(query)
            else:
                found = self.ctx.matcher.match(raw)
            self._matches[raw] = found
        return found

    def say(self, template: str, **extra: str) -> str:
        return render(template, self.k.facts, self.ctx.now, extra).strip()

    def call_button(self) -> dict[str, str]:
        return {"label": self.k.messages.labels.call, "uri": self.k.facts.hotline.tel_uri}

    def menu_buttons(self) -> list[dict[str, str]]:
        return [{"label": label, "text": label} for label in self.k.messages.menu]

    def menu(self, template: str) -> Message:
        return text_message(self.say(template), self.menu_buttons())

    def hotline(self) -> Message:
        labels = self.k.messages.labels
        return text_message(self.say(self.k.messages.texts.hotline),
                            [self.call_button(), {"label": labels.other, "text": "メニュー"}])

    def no_answer(self) -> Message:
        labels = self.k.messages.labels
        return text_message(self.say(self.k.messages.texts.no_answer),
                            [self.call_button(), {"label": labels.other, "text": "メニュー"}])

    def answer(self, entry_id: str) -> Message | None:
        entry = self.k.entry(entry_id)
        if entry is None:
            return None
        text = self.say(entry.answer)
        buttons = [{"label": self.k.messages.labels.other, "text": "メニュー"}]
        if self.k.facts.hotline.tel in text:
            buttons.insert(0, self.call_button())
        return text_message(text, buttons)

    def suggest(self, ids: list[str]) -> Message | None:
        """Not sure: the likeliest entry's answer under "もしかして", the others as buttons."""
        entries = [e for e in (self.k.entry(i) for i in ids) if e is not None]
        if not entries:
            return None
        best, others = entries[0], entries[1:]
        header = self.say(self.k.messages.texts.suggest).strip()
        text = f"{header}\n「{best.question}」\n\n{self.say(best.answer)}"
        buttons = [{"label": short_label(e.question), "data": f"faq:{e.id}"} for e in others]
        buttons.append({"label": self.k.messages.labels.none_of_these, "data": "none"})
        if self.k.facts.hotline.tel in text:
            buttons.append(self.call_button())
        return text_message(text, buttons)


_SENTENCE_END = re.compile(r"[?？。!！\n]+")
_BOTH = re.compile(
    r"^(.{2,}?)と(.{2,}?)[、,]?(?:の)?(?:両方|どちらも|どっちも|それぞれ|2つとも|二つとも)(.*)$")
_TE_COMMA = re.compile(r"(?<=[てで])[、,]")
# 「受取期限と、選べるポイントの種類を教えてください」: two things asked for with one verb
_AND_COMMA = re.compile(
    r"^(.{3,}?)と[、,]\s*(.{3,}?)((?:を|について|は|も)?(?:教えて|知りたい|お願い|ご教示|伺いたい|"
    r"聞きたい|何|いつ|どこ|[?？]).*|(?:は|って)\s*)$")
# 「申請期限いつまでですかあと必要なもの教えてください」: あと after a question, no comma
_AFTER_QUESTION = re.compile(r"(?:(?<=すか)|(?<=ょうか))(?=あと|それと|それから|また)")
_ASKS = re.compile(r"いつ|どこ|何|なに|なん|どう|どれ|どの|どちら|いくら|誰|だれ|教えて|おしえて|"
                   r"知りたい|ください|下さい|ですか|ますか|か$|の$|教示|伺いたい|お聞きしたい|幸いです|[?？]")


def _question_parts(raw: str, also: list[str]) -> list[str]:
    """The questions of a message that asks more than one: split at sentence ends, at 「あと」
    and its like after a comma, at a 「…て、」 that joins two questions, and 「AとB、両方…」
    as A… and B…. A single question gives nothing."""
    parts: list[str] = []
    for sentence in _SENTENCE_END.split(_AFTER_QUESTION.sub("。", raw)):
        both = _BOTH.match(sentence.strip()) or _AND_COMMA.match(sentence.strip())
        if both:  # two things, one question: each with the words that ask
            parts += [both.group(1) + both.group(3), both.group(2) + both.group(3)]
            continue
        pieces = [sentence]
        for word in also:
            pieces = [p for piece in pieces for p in re.split(rf"[、,\s]{re.escape(word)}[、,]?",
                                                             piece)]
        pieces = [p for piece in pieces for p in _TE_COMMA.split(piece)]
        parts += pieces
    lead = re.compile(rf"^(?:{'|'.join(map(re.escape, also))})[、,\s]*") if also else None
    parts = [lead.sub("", p.strip(" 、,")) if lead else p.strip(" 、,") for p in parts]
    parts = [p for p in parts if len(p) >= 4]
    if len(parts) < 2:
        return []
    return [p for p in parts if _ASKS.search(p)]  # 「クーポンが使えなくて」 asks nothing


# A mid-dialog question the FAQ only suggests an answer for is answered (under もしかして)
# when the first entry is this likely and this far ahead of the second; else asked again.
DETOUR_SUGGEST_MIN = 0.5
DETOUR_SUGGEST_MARGIN = 0.1


def _clear_suggestion(found: Match) -> bool:
    if found.outcome != "suggest" or not found.ranking:
        return False
    top = found.ranking[0][1]
    second = found.ranking[1][1] if len(found.ranking) > 1 else 0.0
    return top >= DETOUR_SUGGEST_MIN and top - second >= DETOUR_SUGGEST_MARGIN


def _meaningful(normalized: str) -> bool:
    """Whether any letter or digit is left (emoji and symbols alone are not a question)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in normalized)


# Commands also recognised inside a short message ("オペレーターと話したい"); the others
# only as the whole message ("やめます" in "アプリはやめます" is no cancel).
_INSIDE = ("hotline", "delete", "status", "restart")
_INSIDE_MAX = 25
_HOTLINE_TAIL = 10


def _intent(knowledge: Knowledge, normalized: str) -> str | None:
    """A whole-message command (menu, back, hotline, ...), near misses accepted."""
    compact = normalized.replace(" ", "")
    intents = knowledge.messages.intents.model_dump()
    for name, said in intents.items():
        for phrase in said:
            target = normalize(phrase).replace(" ", "")
            if compact == target or (
                len(target) >= 4 and fuzz.ratio(compact, target) >= 88
            ):
                return name
    if len(compact) <= _INSIDE_MAX:
        return phrases.best(compact, [(name, [p for p in intents[name] if len(p) >= 4])
                                      for name in _INSIDE])
    # A longer message that ends asking for a person (「…補償の件で電話したいんですけど番号は」):
    # the wish is in its last clause, with only a few characters after it.
    text_plain = phrases.plain(compact)
    for phrase in intents["hotline"]:
        target = phrases.plain_phrase(phrase)
        if len(phrase) >= 4 and any(len(text_plain) - end <= _HOTLINE_TAIL
                                    for _, end in phrases.find(text_plain, target)):
            return "hotline"
    return None


# 「奈良に泊まった者ですが」「京都の者なんですが」: a person introducing their case (as typed:
# the reading of 者, もの, is in every 「そのものが」).
_INTRODUCTION = re.compile(r"(?:た|の)者(?:です|なんです|でございます|だけど|やけど)")
_RECEIPT = re.compile(r"RP-?([0-9A-Z]{4})-?([0-9A-Z]{4})")
STATUS_JA = {"received": "受付済み", "in_review": "確認中", "contacted": "ご連絡済み",
             "closed": "対応完了"}


def step(state: dict[str, Any], inp: Input, ctx: Context) -> Step:
    """Answer one input; the state given is never mutated."""
    new_state = copy.deepcopy(state)
    new_state["turn"] = int(state.get("turn", 0)) + 1
    out = Step(new_state)
    _Router(ctx, out, first_contact=not state).route(inp)
    return out


class _Router(_Turn):
    """Decides who answers an input: a command, the dialog, or the FAQ."""

    def __init__(self, ctx: Context, out: Step, first_contact: bool) -> None:
        super().__init__(ctx)
        self.out = out
        self.state = out.state
        self.first_contact = first_contact
        self.texts = ctx.knowledge.messages.texts

    # ---- the dialog state
    def dialog(self) -> Dialog | None:
        """The eligibility dialog in progress, if any."""
        dlg = self.state.get("dlg")
        if not dlg or dlg.get("phase") == "done":
            return None
        return self._runner(dlg)

    def _runner(self, dlg: dict[str, Any]) -> Dialog:
        return Dialog(self.k.flow, self.k.facts, self.ctx.now, dlg, self.ctx.privacy_url)

    def _finish(self, runner: Dialog) -> None:
        self.out.messages.extend(runner.out.messages)
        self.out.effects.extend(runner.out.effects)
        if any(e["type"] == "file_claim" for e in runner.out.effects):
            self.state["just_filed"] = True

    def start_dialog(self, known: dict[str, str] | None = None, prefix: str = "") -> None:
        seq = int(self.state.get("dlg_seq", 0)) + 1
        self.state["dlg_seq"] = seq
        self.state["dlg"] = new_dialog(seq, known)
        runner = self._runner(self.state["dlg"])
        runner.proceed(prefix)
        self._finish(runner)

    # ---- routing
    def route(self, inp: Input) -> None:
        if inp.event is not None:
            self.on_event(inp.event)
        elif inp.postback is not None:
            self.on_postback(inp.postback)
        else:
            self.on_text(inp.text or "")

    def on_event(self, event: str) -> None:
        runner = self.dialog()
        if event == "follow" and runner is not None:
            runner.reask(self.say(self.texts.welcome_back))
            self._finish(runner)
        else:
            self.out.messages.append(self.menu(self.texts.welcome))

    def on_postback(self, data: str) -> None:
        runner = self.dialog() if data.startswith("d:") else None
        if data.startswith("d:"):
            dlg = self.state.get("dlg")
            if dlg and dlg.get("phase") == "done" and dlg.get("receipt"):
                runner = self._runner(dlg)  # a second tap on "send": same receipt, no new claim
            if runner is not None and runner.on_postback(data):
                self._finish(runner)
                return
            self.stale(runner)
            return
        if data == "start":
            self.start_dialog()
        elif data.startswith("faq:") and self.answer_entry(data.removeprefix("faq:")):
            self.state.pop("pending_question", None)
        elif data == "none" and self.state.get("pending_question"):
            pending = self.state.pop("pending_question")
            self.out.effects.append({"type": "unanswered", "text": pending})
            self.out.messages.append(self.no_answer())
        elif data in ("del:yes", "del:no") and self.state.pop("confirm_delete", False):
            self.delete(data == "del:yes")
        elif data == "hotline":
            self.out.messages.append(self.hotline())
        elif data == "menu":
            self.out.messages.append(self.menu(self.texts.menu))
        else:
            self.stale(self.dialog())

    def stale(self, runner: Dialog | None) -> None:
        """An old or unknown button: say so, and ask what is asked now."""
        if runner is not None:
            runner.reask(self.say(self.texts.stale))
            self._finish(runner)
        else:
            self.out.messages.append(self.menu(self.texts.stale + self.texts.menu))

    def on_text(self, raw: str) -> None:
        raw = raw.strip()
        runner = self.dialog()
        dlg = self.state.get("dlg")
        if self.state.pop("just_filed", False) and dlg and dlg.get("receipt") and (
                slots.parse_yes_no(raw) or "送信" in raw):
            # "はい" again right after filing: the same receipt, never a second claim.
            self.out.messages.append(text_message(self.say(
                self.k.flow.texts.already_filed, receipt=dlg["receipt"])))
            return
        if self.state.pop("confirm_delete", False):
            # 「はい、削除してください」 typed to the deletion question acts as its buttons.
            answer = self.delete_answer(raw)
            if answer is not None:
                self.delete(answer)
                return
        if not raw:
            if runner is not None:
                runner.reask()
                self._finish(runner)
            else:
                self.out.messages.append(
                    self.menu(self.texts.welcome if self.first_contact else self.texts.empty))
            return
        notes: list[Message] = []
        if len(raw) > MAX_TEXT:
            raw = raw[:MAX_TEXT]
            notes.append(text_message(self.say(self.texts.too_long)))
        normalized = normalize(raw)
        if not _meaningful(normalized):
            if runner is not None:
                runner.reask(self.say(self.texts.not_understood))
                self._finish(runner)
            else:
                self.out.messages.append(
                    self.menu(self.texts.welcome if self.first_contact else self.texts.no_text))
            return
        self.out.messages.extend(notes)
        intent = _intent(self.k, normalized)
        if self.command(intent, runner, raw):
            return
        if runner is not None:
            self.in_dialog(runner, raw)
            return
        dlg = self.state.get("dlg")
        if dlg and dlg.get("declined") and not dlg.get("closed") and not dlg.get("receipt"):
            runner = self._runner(dlg)  # 「やっぱり同意します」 after declining the intake
            if runner.reconsider(raw):
                self._finish(runner)
                return
        if self.reopenable():  # a changed answer right after the outcome
            runner = self._runner(self.state["dlg"])
            if runner.revise(raw):
                self._finish(runner)
                return
        if self.restated(raw):
            return
        if intent in ("thanks", "greeting"):
            template = self.texts.welcome if self.first_contact else getattr(self.texts, intent)
            self.out.messages.append(self.menu(template))
            return
        yes_no = slots.parse_yes_no(raw) if len(normalized) <= 12 else None
        if yes_no:
            # はい with no question open: yes to what the bot is for, checking their case.
            self.start_dialog()
            return
        if yes_no is False:
            self.out.messages.append(
                self.menu(self.texts.welcome if self.first_contact else self.texts.menu))
            return
        probe = self._runner(new_dialog(0))
        known = probe.understand(raw)
        outside = self.outside(raw, known)
        if outside is not None:
            self.faq(raw, outside)
            return
        words = self.k.messages.check_words
        said = phrases.plain(raw)  # as typed: short kana words are everywhere in readings
        if len(known) < 2 and probe.looks_like_question(raw) and any(
                phrases.find(said, phrases.plain_phrase(w)) for w in words.fact_ask) and not (
                phrases.contains(raw, words.verdict)):
            # 「…紙のクーポンの補償の申請はいつまで受け付けていただけますでしょうか」: a fact
            # asked for, whatever situation is told with it: the FAQ's answer (or its likely
            # answer under もしかして), with the way to check their case.
            found = self.match(raw)
            entry = self.k.entry(found.best) if found.best else None
            if entry is not None and OUT_OF_SCOPE_TAG not in entry.tags and (
                    found.outcome == "answer" or found.outcome == "suggest"
                    and found.ranking[0][1] >= DETOUR_SUGGEST_MIN):
                self.faq_and_check(raw, found)
                return
            asked = self.also_asked(raw, None)  # a long letter: the sentence that asks
            if asked:
                self.faq_and_check(raw, Match("answer", [(asked[0], 1.0)]))
                return
        if phrases.contains(raw, words.proxy) and (
                not probe.looks_like_question(raw) or self.wants_check(raw)
                or phrases.contains(raw, words.permission)):
            # 「母の代わりに聞いています」: their family member's case, checked with them.
            self.start_dialog(known, self.say(self.texts.proxy))
            return
        dlg = self.state.get("dlg")
        told = bool(dlg and dlg.get("outcome") and not dlg.get("closed"))
        if self.wants_check(raw) or intent == "check_bare" and not told:
            self.start_dialog(known)  # (「確認したい」 alone too, unless an outcome was just told)
            return
        if known and not ("happened" in known or "paper" in known) and not told and (
                not probe.looks_like_question(raw)):
            # Their situation told as a statement without the outage or the coupon named
            # (「アプリを退会したので紙のクーポンだけ残っています」): the dialog, from there;
            # after an outcome, such a sentence is about the case already told.
            self.start_dialog(known)
            return
        supposed = phrases.contains(raw, words.hypothetical) and not self.wants_check(raw)
        if set(known) - {"paper", "happened"} and len(known) >= 2 and not told and not supposed \
                and phrases.contains(raw, words.own_case):
            # Two facts of their own case with a question about it (「2月24日期限の紙クーポンが
            # 4000円分残ったままなんですが、補償ってありますか」): the dialog, from there.
            self.start_dialog(known)
            return
        if "happened" in known or "paper" in known:
            # A situation told as a statement, or asked about as their own case ("…けど補償って
            # あるの？"), starts the dialog where it fits; a question about the rules for that
            # situation that the FAQ answers well gets the answer (and the way to check).
            probe.dlg["slots"] = dict(known)
            asked = probe.looks_like_question(raw)
            if asked and known == {"paper": "no"} and not phrases.contains(raw, words.own_case):
                # 「GoToトラベルのクーポンはまだ使える？」: a question about another scheme's
                # coupon, not their case told: that scheme's out-of-scope answer, or honesty.
                self.faq(raw, self.out_of_scope(raw))
                return
            settled = probe.outcome() is not None  # nothing left to ask: tell their outcome
            own = phrases.contains(raw, words.own_case) and not supposed
            found = self.match(raw) if asked and not own and not settled else None
            # a supposition (「…なかったらどうなるの？」) gets the rule only when the FAQ is sure,
            # or fairly sure when it says it is one (「もしも…たらどうなるん？」)
            surely_supposed = supposed and phrases.contains(raw, ["もし", "仮に", "万一", "万が一"])
            if found is not None and (found.outcome == "answer" or found.outcome == "suggest" and (
                    not supposed or surely_supposed
                    and found.ranking[0][1] >= DETOUR_SUGGEST_MIN)):
                self.faq_and_check(raw, found)
            else:
                self.start_dialog(known)
            return
        if not told and not probe.looks_like_question(raw) and phrases.contains(
                raw, words.story_coupon) and phrases.contains(raw, words.story_day):
            self.start_dialog(known)
            return
        self.faq(raw)

    def outside(self, raw: str, known: dict[str, str]) -> Match | None:
        """A message about another company's service with no word of ours (「d払いで二重に
        払った」), or with no word of this matter at all (no coupon, outage, compensation...)
        that the FAQ answers confidently with an out-of-scope entry: 「宿泊代を返金してほしい」
        is not this outage's story, whatever its verbs."""
        words = self.k.messages.check_words
        if phrases.contains(raw, words.elsewhere) and not phrases.contains(raw, words.ours):
            # 「楽天ペイで二重に引き落とされた」: another service's trouble. Its out-of-scope
            # answer if the FAQ has one near, else the honest "お答えできません".
            return self.out_of_scope(raw)
        if known.get("paper") != "no" and not phrases.contains(raw, words.ours_named) and (
                self.k.vocabulary.foreign_owner(raw, words.owned, words.neutral, words.elsewhere)):
            # 「英検の申込期限はいつ」: another organisation's deadline, not this notice's: an
            # out-of-scope entry the FAQ is sure of, else the honest "お答えできません" (another
            # scheme's coupon told as a story is the dialog's: it says which condition fails).
            return self.out_of_scope(raw, sure=True)
        if phrases.contains(raw, words.opener) or _INTRODUCTION.search(raw):
            return None  # 「2月に奈良に泊まった者ですが」: their story begins
        if phrases.contains(raw, words.domain):
            return None
        found = self.match(raw)
        entry = self.k.entry(found.best) if found.best else None
        if found.outcome == "answer" and entry is not None and OUT_OF_SCOPE_TAG in entry.tags:
            return found
        return None

    def out_of_scope(self, raw: str, sure: bool = False) -> Match:
        """A question known to be outside this notice: the FAQ's out-of-scope answer nearest
        to it (`sure`: only when the FAQ answers with it outright), else none (the honest
        「お答えできません」 with the hotline)."""
        found = self.match(raw)
        if sure and found.outcome != "answer":
            return Match("none", [])
        near = [(entry_id, score) for entry_id, score in found.ranking
                if (entry := self.k.entry(entry_id)) and OUT_OF_SCOPE_TAG in entry.tags]
        return Match("answer", near[:1]) if near else Match("none", [])

    def wants_check(self, raw: str) -> bool:
        """"補償の対象になるか確認したい", "私は対象ですか": their own case, not the rules."""
        words = self.k.messages.check_words
        if _INTRODUCTION.search(raw):
            return True  # 「2月に奈良に泊まった者ですが」: their story begins
        return phrases.contains(raw, words.opener) or phrases.contains(raw, words.topic) and (
            phrases.contains(raw, words.ask) or phrases.contains(raw, words.self))

    def command(self, intent: str | None, runner: Dialog | None, raw: str) -> bool:
        """Commands that work anywhere; True if one was handled."""
        receipt = _RECEIPT.search(normalize(raw).upper().replace(" ", ""))
        if runner is not None and runner.dlg.get("phase") == "collect":
            receipt = None  # an inquiry number may well start with RP: it is the answer asked
        if intent == "status" or (receipt and len(raw) <= 40):
            self.status(receipt.group(1) + receipt.group(2) if receipt else None)
        elif intent == "delete":
            self.state["confirm_delete"] = True
            labels = self.k.messages.labels
            self.out.messages.append(text_message(self.say(self.texts.delete_confirm), [
                {"label": labels.delete_yes, "data": "del:yes"},
                {"label": labels.delete_no, "data": "del:no"}]))
        elif intent == "check":
            self.start_dialog()
        elif intent == "hotline":
            self.out.messages.append(self.hotline())
            if runner is not None:
                runner.reask(self.say(runner.flow.texts.resume))
                self._finish(runner)
        elif intent == "repeat":
            self.repeat(runner)
        elif intent == "restart" and runner is not None:
            self.start_dialog()
        elif intent in ("cancel", "menu") and runner is not None:
            if runner.dlg.get("phase") in ("collect", "confirm", "fix", "consent"):
                runner.cancel()
                self._finish(runner)
            else:
                self.out.messages.append(text_message(self.say(self.texts.left_dialog)))
            self.state["dlg"].update(phase="done", closed=True)
            self.out.messages.append(self.menu(self.texts.menu))
        elif intent == "back" and runner is not None:
            runner.back()
            self._finish(runner)
        elif intent == "back" and self.reopenable():
            runner = self._runner(self.state["dlg"])  # right after an outcome: its last question
            runner.back()
            self._finish(runner)
        elif intent in ("menu", "cancel", "restart", "back"):
            self.out.messages.append(self.menu(self.texts.menu))
        elif intent == "topic" and runner is None:
            self.out.messages.append(
                self.menu(self.texts.welcome if self.first_contact else self.texts.menu))
        else:
            return False
        return True

    def repeat(self, runner: Dialog | None) -> None:
        """「もう一回言って」: the question asked now, else the outcome or answer last told."""
        dlg = self.state.get("dlg")
        if runner is not None:
            runner.reask()
            self._finish(runner)
        elif dlg and dlg.get("outcome") and not dlg.get("closed"):
            runner = self._runner(dlg)
            runner.outcome_card(dlg["outcome"])
            self._finish(runner)
        elif not (self.state.get("last_answer") and self.answer_entry(self.state["last_answer"])):
            self.out.messages.append(self.menu(self.texts.menu))

    def restated(self, raw: str) -> bool:
        """An answer repeated after the outcome (to a question its first sentence settled):
        say it is taken into account, rather than read it as a new question."""
        dlg = self.state.get("dlg")
        if not (dlg and dlg.get("phase") == "done" and dlg.get("outcome")
                and not dlg.get("closed")):
            return False
        if not self._runner(dlg).restates(raw):
            return False
        self.out.messages.append(text_message(
            self.say(self.k.flow.texts.same_answer),
            [self.call_button(), {"label": self.k.messages.labels.other, "text": "メニュー"}]))
        return True

    def reopenable(self) -> bool:
        """A dialog that ended in an outcome (no claim filed) that 「戻る」 may step back into."""
        dlg = self.state.get("dlg")
        return bool(dlg and dlg.get("phase") == "done" and dlg.get("outcome")
                    and dlg.get("trail") and not dlg.get("receipt") and not dlg.get("closed"))

    def in_dialog(self, runner: Dialog, raw: str) -> None:
        """Typed text during the dialog: an answer, else an FAQ detour, else ask again."""
        asking_item = runner.dlg.get("phase") == "collect"
        if asking_item and runner.item_value_or_question(raw):
            found = self.match(raw)
            if found.outcome == "answer" and found.best is not None:
                self.answer_entry(found.best)
                runner.reask(self.say(runner.flow.texts.resume))
                self._finish(runner)
                return
        if runner.on_text(raw):
            self._finish(runner)
            return
        found = self.match(raw)
        entry = self.k.entry(found.best) if found.best else None
        # An FAQ detour is for what reads as a question: an answer the dialog did not
        # understand is asked again, never answered with a guess from the FAQ.
        asked = entry is not None and OUT_OF_SCOPE_TAG not in entry.tags and (
            runner.asks(raw) or phrases.contains(raw, self.k.messages.check_words.trouble))
        if asked and found.outcome == "answer":
            self.answer_entry(found.best)
            runner.reask(self.say(runner.flow.texts.resume))
        elif phrases.contains(raw, self.k.messages.check_words.proxy) and not asked:
            # 「母の代わりに答えています」 during the check: fine, and the question again.
            runner.reask(self.say(self.texts.proxy))
        elif self.wants_check(raw) or phrases.contains(raw, self.k.messages.check_words.carry_on):
            # 「対象になるか知りたいです」「やっぱりチャットで続けます」 while the check is under
            # way: its question again.
            runner.reask()
        elif asked and _clear_suggestion(found):
            # A question the FAQ is fairly sure of: its likeliest answer under もしかして
            # (the others as buttons), then the question of the dialog again.
            message = self.suggest([entry_id for entry_id, _ in found.ranking[:3]])
            if message is not None:
                self.state["last_answer"] = found.ranking[0][0]
                self.state["pending_question"] = redact(raw)
                self.out.messages.append(message)
            runner.reask(self.say(runner.flow.texts.resume))
        else:
            runner.reask(self.say(self.texts.not_understood))
        self._finish(runner)

    # ---- FAQ
    def answer_entry(self, entry_id: str) -> bool:
        message = self.answer(entry_id)
        if message is None:
            return False
        self.state["last_answer"] = entry_id
        self.out.messages.append(message)
        return True

    def faq_and_check(self, raw: str, found: Match) -> None:
        """The FAQ's answer to a question told with a situation, and the way to check it."""
        self.faq(raw, found)
        self.out.messages[-1].setdefault("buttons", []).insert(
            0, {"label": self.k.messages.menu[0], "data": "start"})

    def also_asked(self, raw: str, first: str | None) -> list[str]:
        """The entries that answer the other questions of a message that asks two
        (「ポイントは何が選べて、いつまでに受け取ればいいの？」「メールの送信元とSMSの番号、
        両方教えてください」): each part asked alone, taken only when the FAQ is sure of it."""
        ids: list[str] = []
        for part in _question_parts(raw, self.k.messages.check_words.also):
            found = self.match(part)
            entry = self.k.entry(found.best) if found.best else None
            if found.outcome == "answer" and entry is not None and entry.id != first and (
                    entry.id not in ids and OUT_OF_SCOPE_TAG not in entry.tags):
                ids.append(entry.id)
        return ids

    def faq(self, raw: str, found: Match | None = None) -> None:
        found = found or self.match(raw)
        entry = self.k.entry(found.best) if found.best else None
        if entry is not None and OUT_OF_SCOPE_TAG in entry.tags:
            # An honest "not here" answer; staff still see what people wanted.
            self.out.effects.append({"type": "unanswered", "text": redact(raw)})
        if found.outcome == "answer" and entry is not None and self.answer_entry(entry.id):
            if OUT_OF_SCOPE_TAG not in entry.tags:
                for other in self.also_asked(raw, entry.id)[:1]:
                    self.answer_entry(other)  # the second question of the message, too
            return
        both = self.also_asked(raw, None) if found.outcome in ("suggest", "none") else []
        if len(both) >= 2 or both and found.outcome == "none":
            # not sure of the whole, sure of each of its questions (「拝啓…さて、補償の申請期限
            # をご教示いただけますと幸いです。敬具」: the one sentence that asks)
            for entry_id in both[:2]:
                self.answer_entry(entry_id)
            return
        if found.outcome == "suggest":
            message = self.suggest([entry_id for entry_id, _ in found.ranking[:3]])
            if message is not None:
                self.state["last_answer"] = found.ranking[0][0]
                self.state["pending_question"] = redact(raw)
                self.out.messages.append(message)
                return
        if not self.out.effects:
            self.out.effects.append({"type": "unanswered", "text": redact(raw)})
        self.out.messages.append(self.no_answer())

    # ---- claims
    def status(self, receipt: str | None) -> None:
        claims = [c for c in self.ctx.claims
                  if receipt is None or c.receipt.replace("-", "") == "RP" + receipt]
        if not claims:
            self.out.messages.append(text_message(self.say(self.texts.status_none)))
            return
        rows = "\n".join(
            f"・{c.receipt}（{format_date(c.filed_at.astimezone(JST).date())}受付）："
            f"{STATUS_JA.get(c.status, c.status)}" for c in claims)
        text = self.say(self.texts.status_found, claims=rows)
        self.out.messages.append(text_message(text, [self.call_button()]))

    def delete_answer(self, raw: str) -> bool | None:
        """A typed answer to the deletion question: its buttons' labels exactly (deleting is
        not undone, so no near miss), or yes / no."""
        labels = self.k.messages.labels
        yes = label_choice(raw, [labels.delete_yes, labels.delete_no], near=False)
        return slots.parse_yes_no(raw) if yes is None else yes

    def delete(self, yes: bool) -> None:
        if not yes:
            self.out.messages.append(text_message(self.say(self.texts.delete_kept)))
            return
        dlg = self.state.get("dlg")
        if dlg:
            dlg.pop("values", None)
            if dlg.get("phase") in ("collect", "confirm", "fix", "consent"):
                dlg["phase"] = "done"
        self.state.pop("pending_question", None)
        self.out.effects.append({"type": "delete_personal"})
        self.out.messages.append(text_message(self.say(self.texts.deleted)))
