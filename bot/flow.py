"""The dialog interpreter: walks a Flow (dialogs/*.yaml) over the slots a person has given.

The current question is not stored but derived: walk from the start, skipping every step whose
slot is known. So a sentence that fills three slots skips three questions, and "戻る" is just
forgetting the last slot asked. The intake (consent, items, confirmation, filing) runs after an
outcome that offers it. Everything here is pure; filing a claim is returned as an effect.
"""

from __future__ import annotations

import calendar
import contextlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz

from bot import phrases, slots
from bot.dialogs import OUTCOME, Flow, StepDef
from bot.knowledge.facts import CampaignFacts, Deadline, Moment
from bot.knowledge.render import render
from bot.textnorm import clean, normalize

Message = dict[str, Any]
RECEIPT = "［受付番号］"  # replaced by the service with the number the store gives the claim


def parse_contact(text: str) -> slots.Parsed:
    """A phone number or an email address, whichever was typed."""
    folded = slots._width_fold(text) if hasattr(slots, "_width_fold") else text
    if "@" in folded or "＠" in text:
        parsed = slots.parse_email(text)
        return slots.Parsed({"email": parsed.value}, parsed.display)
    try:
        parsed = slots.parse_phone(text)
    except slots.SlotError:
        letters = re.sub(r"(?i)tel|phone|mobile|fax", "", folded)
        if len(re.findall(r"[A-Za-z]", letters)) >= 2:  # 「yamada.gmail.com」: an email, no @
            slots.parse_email(text)  # raises, saying what is wrong with it as an email
        raise
    return slots.Parsed({"phone": parsed.value}, parsed.display)


PARSERS: dict[str, Callable[[str], slots.Parsed]] = {
    "name": slots.parse_name,
    "address": slots.parse_address,
    "phone": slots.parse_phone,
    "email": slots.parse_email,
    "inquiry_number": slots.parse_inquiry_number,
    "date": slots.parse_date,
    "prefecture": slots.parse_prefecture,
    "shop": slots.parse_shop,
    "contact": parse_contact,
}
MAX_MISSES = 3
# Items whose value can be picked out of a sentence that also names the item.
_EXTRACTABLE = frozenset({"phone", "email", "inquiry_number", "date", "prefecture", "contact"})
# Words that make "I don't remember" the answer even when other words of a choice are there.
_HEDGES = ["どっち", "どちら", "かどうか", "かな", "か覚え", "かわから", "たっけ", "だっけ",
           "か忘れ", "かはっきり", "のどれか", "のどちらか"]
# The notice's own deadlines, next to which a date is no coupon's expiry.
_OTHER_DEADLINES = ("申請期限", "申請の期限", "受取期限", "受け取り期限", "受取の期限", "締め切り",
                    "締切", "〆切", "申込期限", "申し込み期限")
# Several coupons, one of them unknown (「1枚は3月1日ですが、もう1枚は読めません」): unsure.
_ANOTHER_COUPON = ["もう1枚", "もう一枚", "もう片方", "別の1枚", "ほかの1枚", "残りの1枚"]
# Words that leave the question open whatever else is said (whether or not, which of them).
_WHETHER = ["かどうか", "どっち", "どちら", "どうだった"]
# ...unless they ask how to answer (「どっちを押せばいい？」).
_ASKS_HOW = re.compile(r"ばいい|ばよい|たらいい|たらよい|べき|選べ|選ぶ|押せ|押す")
_BARE_AROUND = re.compile(
    r"^(うーん|うん|ん|えーと|えっと|えと|あー|まあ|たぶん|多分|確か|たしか|一応)+"
    r"|(と思う|とおもう|はず|気がする)?(よね|けど|よ|ね|わ|な|ー)*$")
# What may stand around a date that is the whole answer: hedges and copulas (plain forms).
_BARE_DATE_REST = re.compile(
    r"(たぶん|多分|確か|たしか|えーと|えっと|えと|あー)?(まで|迄)?(の(やつ|もの|分|クーポン))?"
    r"(だ|だった)?(と思う|とおもう|はず|かな|だと思う|だったと思う)?(よ|ね)?")
_RESTATE_MAX = 20  # a repeated answer is short; a longer text is read as a new question
_VAGUE_MAX = 20  # so is a day named only vaguely (「金曜日まででした」)
# 「いや、期限は3月10日だった」: a leading "no" (the flow's `corrections.leading_no`) that takes
# back what was said before; before it, a filler or an apology.
_LEADING_NO = r"^\s*(?:あ|あっ|あー|えっと|ごめん|すみません)?[、,\s]*(?:{words})[、,。\s]"
# 「2月24日…あ、違いました」: the value said, then taken back (the flow's `corrections.retract`).
_RETRACT = (r"^(?P<head>.*?\S.*?)[.…。、,!！?？\s]+"
            r"(?:あ|あっ|あれ|あー|いや|えっと|ごめん|ごめんなさい|すみません)?[、,\s]*"
            r"(?:{words})[よねわ]*[.…。!！\s]*$")
# 「番号がわからないんですが」: a problem told to be answered, though it is not worded as a question
_SOFT_ASK = re.compile(
    r"(んですが|のですが|んだけど|んですけど|のですけど|んですけれど|のですけれど)(も)?[。、…・\s]*$")
_QUESTION_WORDS = re.compile(
    r"[?？]|いつ|どこ|どうす|どうな|どうやっ|なぜ|何(を|が|で|の|に|と)|なに|教えて|おしえて|知りたい"
    r"|ですか|ますか|でしょうか")
_QUESTION = re.compile(
    r"[?？]\s*$|(か|かな|の|って|は|何|とは)\s*$"
    # keywords ending in what is asked for: 「延長した紙クーポン 使用期限」「申請 URL」
    r"|(期限|締め切り|締切|〆切|しめきり|url|URL|ＵＲＬ|電話番号|受付時間|方法|やり方|送信元|問い合わせ先|連絡先)\s*$"
    r"|いつ|どこ|どうす|どうな|どうした|どうやっ|どうやれ|どうやる|なぜ|何(を|が|で|の|に|と)|なに"
    r"|教えて|おしえて|知りたい|しりたい|いくら|何円|どれ|どちら|どっち|ありますか|できますか"
    r"|ご教示|幸いです|いただけますか|いただけませんか"
)


@dataclass
class Turn:
    """What one dialog turn produced."""

    messages: list[Message] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False


def new_dialog(seq: int, known: dict[str, str] | None = None) -> dict[str, Any]:
    """A fresh dialog state (instance number `seq`), with slots already understood."""
    return {"seq": seq, "slots": dict(known or {}), "trail": [], "phase": "ask"}


class Runner:
    """Runs one turn of a flow for one person; `dlg` is a copy it may change."""

    def __init__(self, flow: Flow, facts: CampaignFacts, now: datetime, dlg: dict[str, Any],
                 privacy_url: str) -> None:
        self.flow, self.facts, self.now, self.dlg = flow, facts, now, dlg
        self.privacy_url = privacy_url
        self.out = Turn()

    # ---- small helpers
    def say(self, template: str, **extra: str) -> str:
        return render(template, self.facts, self.now, extra).strip()

    def data(self, kind: str, value: str) -> str:
        """Postback data bound to this dialog instance and step, so old buttons are refused."""
        return f"d:{self.dlg['seq']}:{self.where()}:{kind}:{value}"

    def where(self) -> str:
        phase = self.dlg["phase"]
        if phase == "ask":
            return self.current_step() or "-"
        if phase == "collect":
            return f"item.{self.dlg.get('item')}"
        return phase

    def text(self, body: str, buttons: list[dict[str, str]] | None = None) -> None:
        message: Message = {"type": "text", "text": body.strip()}
        if buttons:
            message["buttons"] = buttons
        self.out.messages.append(message)

    def call_button(self) -> dict[str, str]:
        return {"label": "コールセンターに電話", "uri": self.facts.hotline.tel_uri}

    # ---- the walk
    def current_step(self) -> str | None:
        """The first step on the path from the start whose slot is not known yet."""
        name: str | None = self.flow.start
        known = self.dlg["slots"]
        for _ in range(len(self.flow.steps) + 1):
            if name is None:
                return None
            step = self.flow.steps[name]
            if step.slot not in known:
                return name
            target = step.next.get(known[step.slot])
            if target is None or target.startswith(OUTCOME):
                return None
            name = target
        return None

    def outcome(self) -> str | None:
        """The outcome the known slots lead to, if the walk reaches one."""
        name = self.flow.start
        known = self.dlg["slots"]
        for _ in range(len(self.flow.steps) + 1):
            step = self.flow.steps[name]
            if step.slot not in known:
                return None
            target = step.next.get(known[step.slot])
            if target is None:
                return None
            if target.startswith(OUTCOME):
                return target.removeprefix(OUTCOME)
            name = target
        return None

    def ask_step(self, name: str, prefix: str = "") -> None:
        step = self.flow.steps[name]
        buttons = [{"label": self.say(c.label), "data": self.data("choice", c.value)}
                   for c in step.choices]
        body = self.say(step.ask)
        self.text(f"{prefix}\n\n{body}".strip() if prefix else body, buttons)

    def proceed(self, prefix: str = "") -> None:
        """Ask the next unknown step, or tell the outcome and make its offer."""
        name = self.current_step()
        if name is not None:
            self.dlg["phase"] = "ask"
            self.ask_step(name, prefix)
            return
        outcome = self.outcome()
        if outcome is None:  # cannot happen with a checked flow; start over rather than stall
            self.dlg["slots"] = {}
            self.ask_step(self.flow.start, prefix)
            return
        self.tell_outcome(outcome, prefix)

    def tell_outcome(self, name: str, prefix: str = "") -> None:
        outcome = self.flow.outcomes[name]
        self.dlg["outcome"] = name
        self.outcome_card(name, prefix)
        if outcome.intake and self.offer_open(outcome.offer_until):
            self.dlg["phase"] = "offer"
            self.dlg["intake"] = outcome.intake
            labels = self.flow.texts.offer_labels
            self.text(self.say(self.flow.intakes[outcome.intake].offer),
                      [{"label": labels[0], "data": self.data("offer", "yes")},
                       {"label": labels[1], "data": self.data("offer", "no")}])
        else:
            self.dlg["phase"] = "done"
            self.out.ended = True

    def outcome_card(self, name: str, prefix: str = "") -> None:
        """The outcome's card (told again on 「もう一回言って」 without a second offer)."""
        outcome = self.flow.outcomes[name]
        title, body = self.say(outcome.title), self.say(outcome.say)
        card: Message = {"type": "card", "altText": title, "title": title,
                         "text": f"{prefix}\n\n{body}".strip() if prefix else body}
        buttons = []
        if self.facts.hotline.tel in body:
            buttons.append(self.call_button())
        buttons.append({"label": "ほかの質問", "text": "メニュー"})
        card["buttons"] = buttons
        self.out.messages.append(card)

    def offer_open(self, until: str | None) -> bool:
        if until is None:
            return True
        value = self.facts.lookup(until)
        moment = value.at if isinstance(value, Deadline) else value
        return not isinstance(moment, Moment) or self.now <= moment.at

    # ---- understanding free text
    def understand(self, text: str) -> dict[str, str]:
        """Slots that a sentence fills: the flow's rules, and dates tied to a step by a cue."""
        return self.read(text)[0]

    def read(self, text: str, before: dict[str, list[int]] | None = None
             ) -> tuple[dict[str, str], set[str], dict[str, list[int]]]:
        """`understand`, and the slots read by a rule of several parts ("二重" and
        "引き落とされた"), which outweigh a one-word choice of the step asked.
        `before`: the parts of rules the previous message had (the story may be told in two
        messages: 「現金で払いました」「なのにクーポンの残額も減ってた」); given, they count
        too, and the parts this message has are returned for the next one (only which parts,
        never the text). A pure reading: the caller keeps what it wants."""
        found: dict[str, str] = {}
        strong: set[str] = set()
        partial: dict[str, list[int]] = {}
        completed: list[dict[str, str]] = []  # rules completed only with the previous message
        for index, rule in enumerate(self.flow.understand):
            if rule.unless and phrases.contains(text, rule.unless):
                continue
            if before is None:  # no story to carry: the first missing part settles it
                complete = all(phrases.contains(text, group) for group in rule.all)
            else:
                have = [g for g, group in enumerate(rule.all) if phrases.contains(text, group)]
                if len(rule.all) > 1 and 0 < len(have) < len(rule.all):
                    if rule.together:
                        continue
                    partial[str(index)] = have
                    if len(set(have) | set(before.get(str(index), []))) == len(rule.all):
                        completed.append(rule.sets)
                    continue
                complete = len(have) == len(rule.all)
            if complete:
                for slot, value in rule.sets.items():
                    found.setdefault(slot, value)
                    if (len(rule.all) > 1 or rule.strong) and found[slot] == value:
                        strong.add(slot)  # also when a one-word rule found it first
        for sets in completed:  # what this message says by itself comes first
            for slot, value in sets.items():
                if slot not in found:
                    found[slot] = value
                    strong.add(slot)
        for step in self.flow.steps.values():
            if step.date_is is not None and step.date_cues and step.slot not in found:
                value = self.date_choice(step, text, cued=True)
                if value is not None:
                    found[step.slot] = value
            if step.amount and step.amount_cues and step.slot not in found and (
                    phrases.contains(text, step.amount_cues)):
                amount = _amount(text)  # 「残高は2000円」 in a sentence that tells more
                value = None if amount is None else step.amount.get(
                    "positive" if amount > 0 else "zero")
                if value is not None:
                    found[step.slot] = value
        return found, strong, partial

    def choose(self, step: StepDef, text: str) -> str | None:
        """The choice a typed answer means: a label or phrase, a date, an amount, yes/no,
        a near miss."""
        norm = phrases.plain(text)
        if not norm:
            return None
        unsure = next((c for c in step.choices if c.value == "unsure"), None)
        if unsure is not None and phrases.contains(text, _HEDGES + _ANOTHER_COUPON) and (
                phrases.contains(text, unsure.say)):  # "24日か26日か、どっちだったかな。覚えてない"
            return unsure.value
        if unsure is not None and phrases.contains(text, _WHETHER) and not _ASKS_HOW.search(
                text):
            return unsure.value  # 「残ってたかどうか」「どっちだったかな」: the question itself
        if step.date_is is not None:
            values = self.date_choices(step, text)
            if unsure is not None and len(set(values)) > 1 and phrases.contains(text, _HEDGES):
                return unsure.value  # 「2/24か2/26か、どっちか」: two days, not sure which
            value = self.date_choice(step, text)
            if value is not None:
                return value
        for choice in step.choices:
            if norm in (phrases.plain_phrase(self.say(choice.label)),
                        *(phrases.plain_phrase(w) for w in choice.say)):
                return choice.value
        if norm.isdigit() and step.date_is is None and not step.amount and (
                1 <= int(norm) <= len(step.choices)):
            return step.choices[int(norm) - 1].value  # 「2」: the second button, as listed
        bare = self.bare_answer(norm)  # 「ある」「したよ」「たぶんない」
        if bare is not None:
            for choice in step.choices:
                if choice.means == bare:
                    return choice.value
        if step.amount:
            amount = _amount(text)
            if amount is None:
                amount = _bare_amount(text, step.amount_tails)  # 「3000」「0」 to this question
            if amount is not None:
                value = step.amount.get("positive" if amount > 0 else "zero")
                if value is not None:
                    return value
        options = [(c.value, [self.say(c.label), *c.say]) for c in step.choices]
        value = phrases.best(text, options)
        if unsure is not None and value == unsure.value and _unknown_is_other(text, unsure.say):
            # 「アプリは使っていません。でもお問合せ番号がわかりません」: what they do not know is
            # something else (「番号が」); the question asked has its answer in the sentence.
            others = phrases.best(text, [o for o in options if o[0] != unsure.value])
            if others is None and self.asks(text) and not phrases.contains(
                    text, [*step.date_cues, *step.amount_cues]):
                # 「お問合せ番号がわからないのですが、どうすれば？」 while the balance is asked:
                # a question of its own (left to the FAQ), not "I don't know" to this one.
                return None
            value = others or value
        if value is not None:
            return value
        denial = self.denied_yes(step, text)
        if denial is not None:
            return denial
        yes_no = slots.parse_yes_no(text)
        if yes_no is not None:
            for choice in step.choices:
                if choice.means == ("yes" if yes_no else "no"):
                    return choice.value
        best, best_score = None, 0.0
        for choice in step.choices:
            for phrase in [self.say(choice.label), *choice.say]:
                score = fuzz.ratio(norm, phrases.plain_phrase(phrase))
                if score > best_score:
                    best, best_score = choice.value, score
        return best if best_score >= 80 else None

    def denied_yes(self, step: StepDef, text: str) -> str | None:
        """The "no" choice of a yes/no step when the text denies a phrase of its "yes" choice
        and says nothing else (「アプリにチャージは一度もしていない」);
        only phrases of some length count (a bare 「アプリ」 may be denied of something else)."""
        yes = next((c for c in step.choices if c.means == "yes"), None)
        no = next((c for c in step.choices if c.means == "no"), None)
        if yes is None or no is None:
            return None
        text_plain = phrases.plain(text)
        for phrase in [self.say(yes.label), *yes.say]:
            target = phrases.plain_phrase(phrase)
            if len(target) > 3 and phrases.denied(text_plain, target):
                return no.value
        return None

    def bare_date(self, text: str) -> dict[str, str]:
        """A date given as the whole answer to a question that asks no date (「2月24日です」 to
        "what happened?"): the answer to the one step yet to ask for a date, kept for later."""
        open_steps = [s for s in self.flow.steps.values()
                      if s.date_is is not None and s.slot not in self.dlg["slots"]]
        if len(open_steps) != 1:
            return {}
        pieces = [(start, end) for _, start, end in
                  _date_candidates(slots.kana_date_units(text)) if start >= 0]
        if len(pieces) != 1:
            return {}
        folded = slots.kana_date_units(text)
        rest = phrases.plain(folded[:pieces[0][0]] + folded[pieces[0][1]:])
        if not _BARE_DATE_REST.fullmatch(rest):
            return {}  # 「2月24日の夕方に…」: a story of the day, not an answer
        value = self.date_choice(open_steps[0], text)
        return {} if value is None else {open_steps[0].slot: value}

    def bare_answer(self, norm: str) -> str | None:
        """"yes" or "no" for a whole answer of the flow's bare words (「ある」「したよ」「ない」),
        a filler or hedge around it allowed (「うーん、ない」「あったと思う」)."""
        norm = _BARE_AROUND.sub("", norm) or norm
        for meaning, words in self.flow.bare_answers.items():
            if norm in {phrases.plain_phrase(w) for w in words}:
                return meaning
        return None

    def date_choices(self, step: StepDef, text: str) -> list[str]:
        """"original" or "other" for each date written in the text."""
        folded = slots.kana_date_units(text)
        return [v for piece, start, _ in _date_candidates(folded) if start >= 0
                for v in [self.date_choice(step, piece)] if v is not None]

    def date_choice(self, step: StepDef, text: str, cued: bool = False) -> str | None:
        """"original" or "other" for a date in the text; with `cued`, only a date next to
        one of the step's cue words ("2月24日期限の", "期限は2/24")."""
        assert step.date_is is not None
        value = self.facts.lookup(step.date_is)
        target = (value.at if isinstance(value, Deadline) else value).at.date()
        text = slots.kana_date_units(text)  # 2がつ24にち: positions below are in this text
        text = _month_end(text, target)  # 「1月末まで」: the 31st (not in the month asked)
        for candidate, start, end in _date_candidates(text):
            if cued:
                if start < 0:
                    continue  # the whole text is no date next to a cue
                near = normalize(text[max(0, start - 8):end + 8])
                if not any(normalize(c) in near for c in step.date_cues) or any(
                        normalize(w) in near for w in _OTHER_DEADLINES):
                    continue  # (「申請期限 4月末」 is the application's deadline, no coupon's)
            try:
                day = slots.parse_date(candidate, default_year=target.year).value
            except slots.SlotError as err:
                if err.code != "missing_month":
                    continue
                try:  # "24日まで": the month of the date asked about
                    day = slots.parse_date(f"{target.month}月{candidate}",
                                           default_year=target.year).value
                except slots.SlotError:
                    continue
            return "original" if day == target else "other"
        return None

    def looks_like_question(self, text: str) -> bool:
        return bool(_QUESTION.search(text))

    def item_value_or_question(self, text: str) -> bool:
        """While an item is asked for: whether the text is a question rather than the value.
        A name, an address or a shop may end like a question (「旅館あすか」「…の店」), so for
        them only a question mark or a question word counts."""
        parser = self.flow.items[self.dlg["item"]].parser if self.dlg.get("item") else ""
        if parser in ("name", "address", "shop"):
            return bool(_QUESTION_WORDS.search(text))
        return self.looks_like_question(text)

    def asks(self, text: str) -> bool:
        """A question, or a problem told to be answered (「番号がわからないんですが」)."""
        return self.looks_like_question(text) or bool(_SOFT_ASK.search(text))

    def leading_no(self, text: str) -> bool:
        words = self.flow.corrections.leading_no
        return bool(words) and re.match(_LEADING_NO.format(words=_alternatives(words)),
                                        text) is not None

    def retracted(self, text: str) -> bool:
        """Whether the text gives a value and takes it back at its end
        (「2月24日…あ、違いました」)."""
        words = self.flow.corrections.retract
        folded = unicodedata.normalize("NFKC", text).strip()  # punctuation kept: it separates
        return bool(words) and re.match(_RETRACT.format(words=_alternatives(words)),
                                        folded) is not None


_MONTH_END = re.compile(
    r"(?<![0-9０-９])([0-9０-９]{1,2})\s*月\s*(?:の)?(?:末|終わり|(?=まで|迄|いっぱい|中|一杯))")


def _alternatives(words: list[str]) -> str:
    """A regex alternation of words, longest first (「ちゃうちゃう」 before 「ちゃう」)."""
    return "|".join(re.escape(unicodedata.normalize("NFKC", w))
                    for w in sorted(words, key=len, reverse=True))


def _month_end(text: str, target: date) -> str:
    """「1月末」「3月の終わり」「3月まで」 as the month's last day, when the month is not the one
    of the day asked about (「2月末」 is too close to 2月24日 to tell: it stays a hedge)."""
    def repl(match: re.Match[str]) -> str:
        month = int(unicodedata.normalize("NFKC", match.group(1)))
        if not 1 <= month <= 12 or month == target.month:
            return match.group(0)
        last = calendar.monthrange(target.year, month)[1]
        return f"{month}月{last}日"
    return _MONTH_END.sub(repl, text)


def _unknown_is_other(text: str, unsure_words: list[str]) -> bool:
    """Whether every "I don't know" in the text has its own object (「番号がわからない」
    「場所を覚えていない」), so it is not the answer to the question asked."""
    text_plain = phrases.plain_phrase(text)
    spans = [span for word in unsure_words
             for span in phrases.find(text_plain, phrases.plain_phrase(word))]
    return bool(spans) and all(start > 0 and (
        text_plain[start - 1] in "がを" or _bare_object(text_plain[:start])) for start, _ in spans)


# A noun right before 「わからない」, its particle dropped (「お問合せ番号わからへん」), but not an
# adverb (「全然わからない」「正直覚えてない」).
_NOUN_END = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ffa-z]$")
_ADVERBS = ("全然", "正直", "全く", "本当", "今", "結局", "実際", "一切", "自分", "私")


def _bare_object(before: str) -> bool:
    return _NOUN_END.search(before) is not None and not before.endswith(_ADVERBS)


_DATE_BITS = re.compile(
    r"(令和|r|R|平成)?\s*[0-9０-９元]{1,4}\s*[年./／\-]\s*[0-9０-９]{1,2}\s*[月./／\-]\s*[0-9０-９]{1,2}\s*日?"
    r"|[0-9０-９]{1,2}\s*[月/／]\s*[0-9０-９]{1,2}\s*日?"
    r"|(?<![0-9０-９月/／])[0-9０-９]{1,2}\s*日"
)


def _date_candidates(text: str) -> list[tuple[str, int, int]]:
    """Every date-looking piece of the text ("2月24日までのクーポン") with where it stands,
    then the whole text (start and end -1: it stands nowhere in particular)."""
    pieces = [(m.group(0), m.start(), m.end()) for m in _DATE_BITS.finditer(text)]
    return [*pieces, (text, -1, -1)]


_AMOUNT = re.compile(r"([0-9][0-9,]*)円")


def _amount(text: str) -> int | None:
    """An amount of yen in the text ("3,000円くらい", "０円"), if one is given; "not even
    1 yen" (「1円も残っていない」「一円もない」) is none."""
    folded = normalize(text).replace(" ", "")
    match = _AMOUNT.search(folded)
    if match is None:
        return None
    try:
        amount = int(match.group(1).replace(",", ""))
    except ValueError:
        return None
    rest = phrases.plain(folded[match.end():])[:10]
    if rest.startswith("も") and any(n in rest for n in ("ない", "なく", "ず")):
        if "使" in rest:
            return max(amount, 1)  # 「1円も使えていない」: all of it is left
        if rest.startswith("もな") or "残" in rest:
            return 0
    return amount


_BARE_NUMBER = re.compile(r"([0-9][0-9,]*)")


def _bare_amount(text: str, tails: list[str]) -> int | None:
    """The amount when the whole answer is a number (「3000」「0」「２，０００くらい」), with at
    most one of `tails` after it; a number inside other words is not read as yen here."""
    folded = phrases.plain(text).rstrip("。．.!！?？")
    match = _BARE_NUMBER.match(folded)
    if match is None:
        return None
    rest = folded[match.end():]
    if rest and rest not in {phrases.plain_phrase(t) for t in tails}:
        return None
    try:
        return int(match.group(1).replace(",", ""))
    except ValueError:
        return None


class Dialog(Runner):
    """The turn handlers: postbacks, typed text, and asking again after a detour."""

    # ---- postbacks
    def on_postback(self, data: str) -> bool:
        """Handle a dialog button; False if it is not for the question now asked (stale)."""
        parts = data.split(":", 4)
        if len(parts) != 5 or parts[0] != "d":
            return False
        _, seq, where, kind, value = parts
        if seq != str(self.dlg["seq"]):
            return False
        if kind == "confirm" and value == "submit" and self.dlg.get("receipt"):
            self.already_filed()
            return True
        if where != self.where():
            return False
        return self.act(kind, value)

    def act(self, kind: str, value: str) -> bool:
        phase = self.dlg["phase"]
        if kind == "choice" and phase == "ask":
            step = self.current_step()
            if step is None:
                return False
            self.set_slot(step, value)
            self.proceed()
            return True
        if kind == "offer" and phase == "offer":
            return self.answer_offer(value == "yes")
        if kind == "consent" and phase == "consent":
            return self.answer_consent(value == "yes")
        if kind == "confirm" and phase == "confirm":
            return self.answer_confirm(value)
        if kind == "fix" and phase == "fix" and value in self.intake_items():
            self.collect(value, fixing=True)
            return True
        return False

    def set_slot(self, step: str, value: str) -> None:
        self.dlg["slots"][self.flow.steps[step].slot] = value
        self.dlg["trail"].append(step)

    # ---- typed text
    def on_text(self, text: str) -> bool:
        """Handle typed text in the current phase; False if it does not answer the question."""
        phase = self.dlg["phase"]
        if phase == "ask":
            return self.text_in_ask(text)
        if phase == "offer":
            yes = self.yes_no(text, self.flow.texts.offer_labels, self.flow.texts.offer_say)
            if yes is None:
                return self.revise(text)
            return self.answer_offer(yes)
        if phase == "consent":
            yes = self.yes_no(text, self.flow.texts.consent_labels, self.flow.texts.consent_say)
            if yes is None:
                return False
            if not yes:
                return self.answer_consent(False)
            # 「同意します。井上さくら、080-…、…@example.com です」: the items given with it
            found = self.items_in(text, consent=True)
            self.dlg["values"] = {}
            for item, parsed in found.items():
                self.store(item, parsed)
            self.next_item()
            return True
        if phase == "collect":
            found = self.items_in(text)
            if len(found) >= 2 and not self.dlg.get("fixing"):
                # 「氏名：…\n住所：…\n電話：…」 pasted at one question: every item taken
                for item, parsed in found.items():
                    self.store(item, parsed)
                self.next_item()
                return True
            self.take_item(text)
            return True
        if phase == "confirm":
            return self.text_in_confirm(text)
        if phase == "fix":
            item = self.item_named(text)
            if item is None:
                return False
            self.collect(item, fixing=True)
            return True
        return False

    def text_in_ask(self, text: str) -> bool:
        step = self.current_step()
        if step is not None and self.retracted(text):
            # 「2月24日…あ、違いました」: the value is taken back; the same question again.
            self.proceed(self.say(self.flow.texts.noted))
            return True
        found, strong, partial = self.read(text, before=self.dlg.get("partial", {}))
        self.dlg["partial"] = partial
        learned = {k: v for k, v in found.items() if k not in self.dlg["slots"]}
        changed = self.changed_answers(text, found, step)
        changed.update(self.outweighed(found, strong))
        if changed:
            # 「あ、さっきの間違いで、有効期限は3月10日でした」: an earlier answer changed before
            # the outcome; the walk goes on from the new answer (and anything new said).
            self.dlg["slots"].update(changed)
            for slot, value in learned.items():
                self.dlg["slots"].setdefault(slot, value)
            self.proceed(self.say(self.flow.texts.noted))
            return True
        if step is not None:
            slot = self.flow.steps[step].slot
            choice = self.choose(self.flow.steps[step], text)
            # The answer to the question asked weighs most, unless a rule of several parts
            # read the same slot from the whole sentence.
            unsure = next((c.value for c in self.flow.steps[step].choices
                           if c.value == "unsure"), None)
            # (「regionPAYだったかどうかはわかりません」 leaves it open, whatever else is said)
            if choice is not None and (slot not in strong or choice == unsure and phrases.contains(
                    text, _WHETHER)):
                learned[slot] = choice
        if not learned:
            learned = self.bare_date(text)
        if not learned:
            if step is not None and any(self.dlg["slots"].get(k) == v for k, v in found.items()):
                # An earlier answer said again (「期限は2月24日です」): taken, and the question
                # asked now is asked again, not "not understood".
                self.proceed(self.say(self.flow.texts.noted))
                return True
            if step is not None and self.vague(self.flow.steps[step], text):
                self.proceed(self.say(self.flow.steps[step].vague_say))
                return True
            return False
        rules = self.flow.understand  # a part of a story whose slot this answer gave is spent
        self.dlg["partial"] = {i: g for i, g in self.dlg.get("partial", {}).items()
                               if not set(rules[int(i)].sets) & set(learned)}
        for slot, value in learned.items():
            self.dlg["slots"][slot] = value
            owner = next((n for n, s in self.flow.steps.items() if s.slot == slot), None)
            if owner is not None:
                self.dlg["trail"].append(owner)
        asked_again = step is not None and self.current_step() == step
        # The answer was to another question: say it is taken before asking this one again.
        self.proceed(self.say(self.flow.texts.noted) if asked_again else "")
        return True

    def vague(self, step: StepDef, text: str) -> bool:
        """An answer that names a day only vaguely (「金曜日まで」): asked again, not guessed.
        A question or a longer story (「昨日URLが届いたのですが」) is left to the FAQ."""
        return bool(step.vague_say) and not self.looks_like_question(text) and len(
            phrases.plain(text)) <= _VAGUE_MAX and phrases.contains(text, step.vague_words)

    def changed_answers(self, text: str, found: dict[str, str], step: str | None
                        ) -> dict[str, str]:
        """Earlier answers the text changes, when it says an answer was wrong (「さっきの間違いで」
        「やっぱり」): a slot read from the sentence with another value, else the answer to an
        earlier question (latest first) that the text chooses differently; the question asked
        now keeps its own answer."""
        if not (phrases.contains(text, self.flow.corrections.marks) or self.leading_no(text)):
            return {}
        known = self.dlg["slots"]
        changed = {k: v for k, v in found.items() if k in known and known[k] != v}
        if changed:
            return changed
        if step is not None and self.choose(self.flow.steps[step], text) is not None:
            return {}
        for name in reversed(self.dlg["trail"]):
            earlier = self.flow.steps[name]
            value = self.choose(earlier, text)
            if value is not None and value != known.get(earlier.slot):
                return {earlier.slot: value}
            if value is not None:
                return {}
        return {}

    def outweighed(self, found: dict[str, str], strong: set[str]) -> dict[str, str]:
        """Slots guessed from an earlier sentence, never asked nor answered
        (「クーポンが使えなかった」 read as expired), that a rule of several parts now reads
        otherwise (「現金で払ったのに残高も減ってた」): the fuller account wins."""
        known, trail = self.dlg["slots"], set(self.dlg["trail"])
        owners = {s.slot: n for n, s in self.flow.steps.items()}
        return {k: v for k, v in found.items() if k in strong and k in known and known[k] != v
                and owners.get(k) not in trail}

    def revise(self, text: str) -> bool:
        """An earlier answer changed after the outcome ("やっぱり違う、チャージしてた"):
        the walk again from there, to the outcome the new answer leads to."""
        changed = {k: v for k, v in self.understand(text).items()
                   if k in self.dlg["slots"] and self.dlg["slots"][k] != v}
        trail = self.dlg["trail"]
        if not changed and trail and phrases.contains(text, self.flow.corrections.marks):
            last = self.flow.steps[trail[-1]]
            value = self.choose(last, text)
            if value is not None and value != self.dlg["slots"].get(last.slot):
                changed[last.slot] = value
        if not changed:
            return False
        self.dlg["slots"].update(changed)
        self.dlg.pop("outcome", None)
        self.dlg["phase"] = "ask"
        self.proceed()
        return True

    def restates(self, text: str) -> bool:
        """Whether text after the outcome only repeats an answer already given (「それ以外です」
        to a question a first sentence settled): no question, and a choice of a step that is
        the value already known; or the same story told again (「別のお店の名前で決済されていた
        んです」): a rule of several parts finds what is known, and nothing else."""
        if self.looks_like_question(text):
            return False
        known = self.dlg["slots"]
        found, strong, _ = self.read(text)
        if strong and all(known.get(slot) == value for slot, value in found.items()):
            return True
        if len(phrases.plain(text)) > _RESTATE_MAX:
            return False
        for step in self.flow.steps.values():
            if step.slot not in known:
                continue
            # A bare はい/いいえ is no restatement: the labels of yes/no choices are left out.
            said = phrases.best(text, [(c.value, [*([] if c.means else [self.say(c.label)]),
                                                  *c.say]) for c in step.choices])
            if said is not None and said == known.get(step.slot):
                return True
        return False

    def text_in_confirm(self, text: str) -> bool:
        item = self.item_named(text)
        if item is not None:
            definition = self.flow.items[item]
            if definition.parser in _EXTRACTABLE:  # "電話番号を間違えました。正しくは090-…"
                try:
                    parsed = _parse_framed(PARSERS[definition.parser], text)
                except slots.SlotError:
                    parsed = None
                if parsed is not None:
                    self.store(item, parsed)
                    self.confirm()
                    return True
            else:  # 「店名が違いました。奈良パークホテルです」「名前を奈良花子に直して」
                parsed = self.corrected_value(item, text)
                if parsed is not None:
                    self.store(item, parsed)
                    self.confirm()
                    return True
            self.collect(item, fixing=True)
            return True
        texts = self.flow.texts
        norm = phrases.plain(text)
        for label, action in zip(texts.confirm_labels, ("submit", "fix", "cancel"), strict=True):
            if norm == phrases.plain_phrase(label):
                return self.answer_confirm(action)
        action = phrases.best(text, list(texts.confirm_say.items()))
        if action is not None:
            return self.answer_confirm(action)
        yes = slots.parse_yes_no(text)
        if yes is None:
            return False
        return self.answer_confirm("submit" if yes else "fix")

    def corrected_value(self, item: str, text: str) -> slots.Parsed | None:
        """The new value of a free-text item (name, address, shop) given in the sentence that
        corrects it: a part of its own (「違いました。奈良パークホテルです」) or what follows the
        item's name (「店名は奈良パークホテルです」「名前を奈良花子に直して」); None if the
        sentence only says it is wrong."""
        definition = self.flow.items[item]
        own = {definition.label, definition.label.removeprefix("ご").removeprefix("お"),
               *definition.say}
        names = sorted(own | {w for w in slots.LABEL_WORDS if any(n in w for n in own)},
                       key=len, reverse=True)  # 「店舗名」 before 「店舗」
        text = clean(text)
        instead = _INSTEAD.search(text)  # 「奈良ホテルじゃなくて奈良パークホテル」: what follows
        if instead is not None:
            text = text[instead.end():]
        candidates: list[str] = []
        for part in _SENTENCE_SPLIT.split(text):
            part = _ASK_CHANGE.sub("", part.strip())
            if not part:
                continue
            # A name counts where it names the item (「店名は…」「店の名前も…」), not inside
            # the value itself (「旅館やまと 売店 です」: 売店 is part of the shop's name).
            named, after = next(((n, rest) for n in names
                                 if (rest := _after_item_name(part, n)) is not None), (None, ""))
            if named is not None:
                framed = slots.strip_frame(part)  # 「お店の名前は…」: the frame's own labels
                if not any(_after_item_name(framed, n) is not None for n in names):
                    part = framed
                else:
                    match = _AFTER_NAME.match(after)
                    part = match.group(1) if match else ""
            part = _RIGHT_TAIL.sub("", part).strip()  # 「…梅田1-1-3が正しいです」
            if not part or _CORRECTING.search(part) or _COPULA_ONLY.match(part) or (
                    _INTERJECTION.match(part)):
                continue
            candidates.append(part)
        if len(candidates) != 1:
            return None
        value = slots.strip_frame(candidates[0]).strip("「」『』\"'“”")  # 「猿沢みやげ処」
        if _PREDICATE_END.search(value):
            return None  # 「番地が抜けていました」: a remark, not a value
        try:
            return PARSERS[definition.parser](value)
        except slots.SlotError:
            return None

    def yes_no(self, text: str, labels: list[str], say: dict[str, list[str]]) -> bool | None:
        """Yes or no to an offer: a label (typed or nearly), the flow's words, はい/いいえ."""
        yes = label_choice(text, labels)
        if yes is None and _LEADING_YES_NO.match(text):
            # 「いいえ、自分でサイトからやってみます」: the leading word answers, whatever words
            # of the offer follow (unless they take it back: 「はい、でも入力はしません」)
            yes = slots.parse_yes_no(text)
        if yes is None:
            said = phrases.best(text, list(say.items()))
            yes = None if said is None else said == "yes"
        if yes is None:
            yes = slots.parse_yes_no(text)
        return yes

    # ---- intake
    def intake_items(self) -> list[str]:
        return list(self.flow.intakes[self.dlg["intake"]].items)

    def item_named(self, text: str) -> str | None:
        """An item the person names ("電話番号を直したい" → phone); the longest name found wins
        (「お問い合わせ番号」 names the inquiry number, though 「番号」 alone is the phone)."""
        norm = normalize(text).replace(" ", "")
        found: tuple[int, str] | None = None
        for item in self.intake_items():
            definition = self.flow.items[item]
            for name in (definition.label, *definition.say):
                label = normalize(name).replace(" ", "")
                bare = label.removeprefix("ご").removeprefix("お")
                hit = label if label in norm else bare if len(bare) >= 2 and bare in norm else ""
                if hit and (found is None or len(hit) > found[0]):
                    found = (len(hit), item)
        return None if found is None else found[1]

    def reconsider(self, text: str) -> bool:
        """A change of mind after the offer or the consent was declined (「やっぱり同意します。
        チャットで申請させてください」): the offer taken up, the consent asked again (it is
        given only after reading the notice, never inferred). Only while the offer is open."""
        intake = self.dlg.get("intake")
        outcome = self.flow.outcomes.get(self.dlg.get("outcome") or "")
        texts = self.flow.texts
        if not (self.dlg.get("declined") and intake and outcome is not None
                and self.offer_open(outcome.offer_until)):
            return False
        if not phrases.contains(text, texts.reconsider_marks):
            return False
        if not (phrases.contains(text, texts.offer_say.get("yes", []))
                or phrases.contains(text, texts.consent_say.get("yes", []))):
            return False
        self.dlg.pop("declined", None)
        return self.answer_offer(True)

    def answer_offer(self, yes: bool) -> bool:
        if not yes:
            self.dlg["declined"] = True
            self.dlg["phase"] = "done"
            self.out.ended = True
            self.text(self.say(self.flow.texts.no_offer))
            return True
        self.dlg["phase"] = "consent"
        labels = self.flow.texts.consent_labels
        # What this intake collects, named from its items (a case asks no name).
        asked = "\n".join(f"・{self.flow.items[i].label}" for i in self.intake_items())
        self.text(self.say(self.flow.texts.consent, privacy_url=self.privacy_url, items=asked),
                  [{"label": labels[0], "data": self.data("consent", "yes")},
                   {"label": labels[1], "data": self.data("consent", "no")}])
        return True

    def answer_consent(self, yes: bool) -> bool:
        if not yes:
            self.dlg["declined"] = True
            self.dlg["phase"] = "done"
            self.out.ended = True
            self.text(self.say(self.flow.texts.declined))
            return True
        self.dlg["values"] = {}
        self.next_item()
        return True

    def collect(self, item: str, fixing: bool = False, prefix: str = "") -> None:
        self.dlg.update(phase="collect", item=item, fixing=fixing)
        body = self.say(self.flow.items[item].ask)
        self.text(f"{prefix}\n\n{body}".strip() if prefix else body)

    def take_item(self, text: str) -> None:
        item = self.dlg["item"]
        parser = PARSERS[self.flow.items[item].parser]
        try:
            parsed = _parse_framed(parser, text)
        except slots.SlotError as err:
            misses = self.dlg.setdefault("misses", {})
            misses[item] = misses.get(item, 0) + 1
            retry = self.say(self.flow.texts.retry, problem=err.message,
                             label=self.flow.items[item].label)
            if misses[item] >= MAX_MISSES:
                self.text(self.say(self.flow.texts.give_up), [self.call_button()])
                self.text(retry)
            else:
                self.text(retry)
            return
        self.store(item, parsed)
        self.dlg.get("misses", {}).pop(item, None)
        missing = [i for i in self.intake_items() if i not in self.dlg["values"]]
        if self.dlg.get("fixing") or not missing:
            self.confirm()
        else:
            self.collect(missing[0])

    def next_item(self) -> None:
        """The first item not yet given, or the read-back when all are."""
        missing = [i for i in self.intake_items() if i not in self.dlg.get("values", {})]
        if missing:
            self.collect(missing[0])
        else:
            self.confirm()

    def items_in(self, text: str, consent: bool = False) -> dict[str, slots.Parsed]:
        """Several items in one message, each named (「住所は…」「電話：…」) or plain to see (an
        email address, a phone number); one part left over is the name when the name is asked
        for and two other items were found. Only values their parsers accept are taken."""
        items = [i for i in self.intake_items() if i not in self.dlg.get("values", {})]
        found: dict[str, slots.Parsed] = {}
        rest: list[str] = []
        for part in _ITEM_SPLIT.split(text):
            part = clean(part).strip()
            if not part or (consent and phrases.contains(
                    part, self.flow.texts.consent_say.get("yes", []))):
                continue
            item, value = self.named_item(part, items)
            if item is None:
                folded = clean(slots._width_fold(part))
                if _EMAIL_TOKEN.search(folded):
                    item = next((i for i in items if self.flow.items[i].parser in (
                        "email", "contact")), None)
                elif _PHONE_TOKEN.fullmatch(_COPULA_TAIL.sub("", folded).strip()):
                    item = next((i for i in items if self.flow.items[i].parser in (
                        "phone", "contact")), None)
                elif _COPULA_TAIL.sub("", folded).strip() in slots.PREFECTURE_NAMES:
                    # 「期限は2月24日で 奈良県です」: a prefecture's name alone is plain to see
                    item = next((i for i in items if self.flow.items[i].parser == "prefecture"),
                                None)
                value = part
            if item is None or item in found:
                rest.append(part)
                continue
            try:
                found[item] = _parse_framed(PARSERS[self.flow.items[item].parser], value)
            except slots.SlotError:
                rest.append(part)
        name = next((i for i in items if self.flow.items[i].parser == "name"), None)
        if name and name not in found and len(found) >= 2 and len(rest) == 1 and not any(
                ch.isdigit() for ch in rest[0]):
            with contextlib.suppress(slots.SlotError):
                found[name] = slots.parse_name(slots.strip_frame(_COPULA_TAIL.sub("", rest[0])))
        return found

    def named_item(self, part: str, items: list[str]) -> tuple[str | None, str]:
        """The item a part names at its start (「住所は奈良県…」「電話：090…」), and its value."""
        best: tuple[int, str, str] | None = None
        for item in items:
            definition = self.flow.items[item]
            for name in {definition.label, *definition.say}:
                if part.startswith(name):
                    rest = _NAME_FOLLOWS.match(part[len(name):]) or _VALUE_FOLLOWS.match(
                        part[len(name):])
                    if rest is not None and (best is None or len(name) > best[0]):
                        best = (len(name), item, part[len(name) + rest.end():])
        return (None, "") if best is None else (best[1], _COPULA_TAIL.sub("", best[2]).strip())

    def store(self, item: str, parsed: slots.Parsed) -> None:
        """Keep an item's value (dates as ISO text) and how it is read back."""
        value = parsed.value.isoformat() if isinstance(parsed.value, date) else parsed.value
        self.dlg.setdefault("values", {})[item] = {"value": value, "display": parsed.display}

    def confirm(self) -> None:
        self.dlg.update(phase="confirm", fixing=False)
        rows = "\n".join(f"・{self.flow.items[i].label}：{self.dlg['values'][i]['display']}"
                         for i in self.intake_items())
        labels = self.flow.texts.confirm_labels
        self.text(self.say(self.flow.texts.confirm, items=rows),
                  [{"label": labels[0], "data": self.data("confirm", "submit")},
                   {"label": labels[1], "data": self.data("confirm", "fix")},
                   {"label": labels[2], "data": self.data("confirm", "cancel")}])

    def answer_confirm(self, action: str) -> bool:
        if action == "fix":
            self.dlg["phase"] = "fix"
            self.text(self.say(self.flow.texts.fix_which),
                      [{"label": self.flow.items[i].label, "data": self.data("fix", i)}
                       for i in self.intake_items()])
            return True
        if action == "cancel":
            self.cancel()
            return True
        if action != "submit":
            return False
        intake = self.flow.intakes[self.dlg["intake"]]
        outcome = self.flow.outcomes[self.dlg["outcome"]]
        self.out.effects.append({
            "type": "file_claim",
            "dialog_seq": self.dlg["seq"],
            "kind": intake.kind,
            "route": outcome.route or self.dlg["outcome"],
            "items": {i: self.dlg["values"][i]["value"] for i in self.intake_items()},
            "answers": dict(self.dlg["slots"]),
        })
        # Personal items leave the dialog state once they are filed.
        self.dlg.pop("values", None)
        self.dlg.update(phase="done", receipt=RECEIPT)
        self.out.ended = True
        self.text(self.say(intake.done, receipt=RECEIPT), [self.call_button()]
                  if self.facts.hotline.tel in self.say(intake.done, receipt=RECEIPT) else None)
        return True

    def already_filed(self) -> None:
        self.text(self.say(self.flow.texts.already_filed, receipt=self.dlg["receipt"]))

    def cancel(self) -> None:
        self.dlg.pop("values", None)
        self.dlg["phase"] = "done"
        self.out.ended = True
        self.text(self.say(self.flow.texts.cancelled))

    # ---- going back and asking again
    def back(self) -> None:
        """One step back: the previous question, or the previous item."""
        phase = self.dlg["phase"]
        if phase == "collect" and not self.dlg.get("fixing"):
            items = self.intake_items()
            index = items.index(self.dlg["item"])
            if index > 0:
                self.dlg.get("values", {}).pop(items[index - 1], None)
                self.collect(items[index - 1])
                return
        if phase in ("collect", "fix") and self.dlg.get("values") and all(
                i in self.dlg["values"] for i in self.intake_items()):
            self.confirm()
            return
        if phase in ("ask", "offer", "done", "consent") and self.dlg["trail"]:
            last = self.dlg["trail"].pop()
            self.dlg["slots"].pop(self.flow.steps[last].slot, None)
            self.dlg.pop("outcome", None)
            self.proceed()
            return
        self.reask()

    def reask(self, prefix: str = "") -> None:
        """Ask the question of the current phase again (after a detour or an old button)."""
        phase = self.dlg["phase"]
        if phase == "ask":
            self.proceed(prefix)
        elif phase == "offer":
            labels = self.flow.texts.offer_labels
            body = self.say(self.flow.intakes[self.dlg["intake"]].offer)
            self.text(f"{prefix}\n\n{body}".strip(),
                      [{"label": labels[0], "data": self.data("offer", "yes")},
                       {"label": labels[1], "data": self.data("offer", "no")}])
        elif phase == "consent":
            if prefix:
                self.text(prefix)
            self.answer_offer(True)
        elif phase == "collect":
            self.collect(self.dlg["item"], self.dlg.get("fixing", False), prefix)
        elif phase == "confirm":
            if prefix:
                self.text(prefix)
            self.confirm()
        elif phase == "fix":
            if prefix:
                self.text(prefix)
            self.answer_confirm("fix")


_SENTENCE_SPLIT = re.compile(r"[。．.！!？?\n、,，]|正しくは|本当は")
_INSTEAD = re.compile(r"じゃなくて|ではなくて|じゃなく|ではなく")
# The end of 「…に直してください」「…に変更して」「…でお願いします」: the value comes before it.
_ASK_CHANGE = re.compile(r"(?:に(?:直|変更|訂正|修正|変え)|へ(?:変更|修正)).*$")
# After an item's name: a particle, then the value, then a copula.
_AFTER_NAME = re.compile(
    r"^\s*(?:は|を|が|も|:|：)?\s*(.+?)\s*(?:です.*|でした.*)?$")
# What follows an item's name when it names the item: a particle (「店名は」「店の名前も」).
_NAME_FOLLOWS = re.compile(r"^(の名前|の名称)?\s*(?:は|を|が|も|:|：)")
_COPULA_ONLY = re.compile(r"^\s*(?:です|でした|だ|です[ねよ])?\s*$")
# 「あ、違いました。」: a part that is only a sound or an apology holds no value
_INTERJECTION = re.compile(
    r"^\s*(?:あ+っ?|ああ|え+っ?|えっと|えーと|あの|あのー|すみません|すいません|ごめんなさい|ごめん"
    r"|失礼しました|しまった|おっと)\s*$")
# 「…が正しいです」「…が正解です」: the value comes before it
_RIGHT_TAIL = re.compile(r"\s*(?:が|で)(?:正しい|正解|合って|あって)(?:です|でした)?\s*$")
_CORRECTING = re.compile(r"違|間違|まちが|ちが[うい]|訂正|修正|直し|直して|なおし|変更|ミス|誤")
_PREDICATE_END = re.compile(
    r"(ます|ました|ません|ない|なかった|った|した|れた|いた|ている|てる|ください|下さい)$")
# Parts of a message that gives several items: 「、」, 「。」, new lines, full-width slashes.
_ITEM_SPLIT = re.compile(r"[、,，。\n／]|\s{2,}|(?<=[0-9０-９日]で)\s")  # 「…24日で 奈良県です」
# 「電話09033334444」「メールa@b.jp」: a value straight after the item's name
_VALUE_FOLLOWS = re.compile(r"(?=[0-9A-Za-z０-９Ａ-Ｚａ-ｚ+＋])")
_COPULA_TAIL = re.compile(r"(?:です|でした|になります|でお願いします|でございます)[。.!！]*\s*$")
_EMAIL_TOKEN = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]*[A-Za-z0-9]")
_PHONE_TOKEN = re.compile(r"\+?[0-9][0-9\-() ]{8,}[0-9]")


def _after_item_name(part: str, name: str) -> str | None:
    """What follows the first place where `name` names an item in `part` (a particle after
    it, or the part is the name alone), else None: 「三条店です」 holds 店 but names no item."""
    start = part.find(name)
    while start >= 0:
        rest = part[start + len(name):]
        match = _NAME_FOLLOWS.match(rest)
        if match is not None or (start == 0 and not rest.strip()):
            return rest[len(match.group(1) or ""):] if match is not None else ""
        start = part.find(name, start + 1)
    return None


def _parse_framed(parser: Callable[[str], slots.Parsed], text: str) -> slots.Parsed:
    """Parse the value inside a sentence (「名前は奈良花子です」, 「ごめん、a@b.jpやった」),
    else the text as typed; a miss is explained by what was inside the sentence."""
    inner = slots.strip_frame(text)
    folded = clean(slots._width_fold(text))
    tokens = [m.group(0) for pattern in (_EMAIL_TOKEN, _PHONE_TOKEN)
              for m in pattern.finditer(folded)]
    first: slots.SlotError | None = None
    for candidate in dict.fromkeys([inner, *tokens[:1], text]):
        try:
            return parser(candidate)
        except slots.SlotError as err:
            first = first or err
    assert first is not None
    raise first


_LEADING_YES_NO = re.compile(r"\s*(?:いいえ|いえ|いや|ううん|はい|ええ|うん)[、,。.！!\s　]")


def label_choice(text: str, labels: list[str], near: bool = True) -> bool | None:
    """True for the first label, False for the second, typed or (`near`) nearly."""
    norm = normalize(text).replace(" ", "")
    for index, label in enumerate(labels):
        label = normalize(label).replace(" ", "")
        if norm == label or near and fuzz.ratio(norm, label) >= 85:
            return index == 0
    return None
