"""Campaign facts, the bot's own wording and the FAQ, loaded and checked as one bundle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot import phrases
from bot.dialogs import Flow, load_flow
from bot.faq.entries import Entry, load_faq
from bot.knowledge.facts import CampaignFacts, load_facts
from bot.knowledge.render import check_template
from bot.scope import Vocabulary, strings
from bot.slots import PREFECTURES
from bot.yamlsrc import DataFileError, load_yaml, validate

Label = Annotated[str, Field(min_length=1, max_length=20)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Texts(_Strict):
    welcome: str
    menu: str
    empty: str
    no_text: str
    too_long: str
    suggest: str
    no_answer: str
    hotline: str
    thanks: str
    greeting: str
    stale: str
    not_understood: str
    welcome_back: str
    left_dialog: str
    status_found: str
    status_none: str
    delete_confirm: str
    deleted: str
    delete_kept: str
    proxy: str = ""  # before the check, to someone asking for a family member



class Labels(_Strict):
    call: Label
    other: Label
    none_of_these: Label
    delete_yes: Label
    delete_no: Label


class Intents(_Strict):
    menu: list[str]
    back: list[str]
    restart: list[str]
    cancel: list[str]
    check: list[str]
    check_bare: list[str] = []  # 「確認したい」: the check, when no question is open
    status: list[str]
    delete: list[str]
    hotline: list[str]
    thanks: list[str]
    greeting: list[str]
    repeat: list[str] = []  # 「もう一回言って」: what was last asked or told, again
    topic: list[str] = []  # a bare word for the matter: the menu (outside a dialog)


class CheckWords(_Strict):
    """Words that show a person wants their own case checked, anywhere in a sentence."""

    topic: list[str] = []  # 対象, 補償, 該当 ...
    ask: list[str] = []  # 確認, 調べ, 知りたい ... (with a topic word)
    self: list[str] = []  # 私, 自分 ... (with a topic word)
    own_case: list[str] = []  # asked with a situation: 補償ってある, どうすれば ...
    opener: list[str] = []  # alone enough: "クーポンの件なんですが"
    proxy: list[str] = []  # asking for someone else, not as a question: "母の代わりに聞いています"
    permission: list[str] = []  # "…てもいいですか": with a proxy word, no question of the rules
    # A statement (not a question) naming the coupon and the day of the outage is their story
    # (「2月24日の夜、お土産屋さんで紙のクーポンを使おうとしました」): the check, from there.
    story_coupon: list[str] = []
    # Words of this matter: a message without any that an out-of-scope FAQ entry answers with
    # confidence gets that answer, even when it sounds like a story (「カードが使えなかった」).
    domain: list[str] = []
    story_day: list[str] = []
    # Another company's service or another scheme named (楽天ペイ, クレジットカード, GoToイート)
    # with none of `ours` (the coupon, regionPAY, this compensation): a question about that
    # service, answered honestly as not this chat's, never with this notice's facts.
    elsewhere: list[str] = []
    # A question for one fact of the notice (いつまで, URL, 方法...) that the FAQ answers with
    # confidence gets that answer (and the way to check), even when it tells a situation or
    # names the compensation; unless it asks for a verdict on their case (`verdict`).
    fact_ask: list[str] = []
    verdict: list[str] = []
    # 「やっぱりこのままチャットで続けます」 during the check: its question again.
    carry_on: list[str] = []
    # Words after a comma that begin a second question (「…いつまで？、あとどこから…」).
    also: list[str] = []
    # Another organisation's deadline, coupon or application (「英検の申込期限」): an owner
    # before 「の」 that no word of the knowledge spells, of one of `owned` (bot/scope.py),
    # unless the owner is `neutral` (予定, 子供...) or the message names `ours_named`.
    owned: list[str] = []
    neutral: list[str] = []
    ours_named: list[str] = []
    # A situation asked as a supposition (「使いきれなかったらどうなるの？」): the rule, not their
    # own case, unless `own_case` words ask about them too.
    hypothetical: list[str] = []
    ours: list[str] = []
    # A problem told during the dialog as a statement (「番号がわかりません」「クーポンをなくして
    # しまって」): like a question, the FAQ's confident answer, then the dialog's question again.
    trouble: list[str] = []


class Messages(_Strict):
    """knowledge/messages.yaml: the bot's own texts, button labels, menu and commands."""

    texts: Texts
    labels: Labels
    menu: list[Label] = Field(min_length=1, max_length=13)
    intents: Intents
    check_words: CheckWords = CheckWords()
    # A question typed in English (「If I miss the April 30 deadline can I still apply?」) is
    # matched in Japanese: its words of this matter (`terms`) and its question words (`words`),
    # each by the Japanese of the FAQ; only when at least one term is found (bot/english.py).
    english_terms: dict[str, str] = {}
    english_words: dict[str, str] = {}


def load_messages(path: Path, facts: CampaignFacts, now: datetime) -> Messages:
    """Load messages.yaml; every template must render against the facts."""
    data, lines = load_yaml(path.read_text(encoding="utf-8"), path)
    messages = validate(Messages, data, lines, path)
    for name, template in messages.texts.model_dump().items():
        problems = check_template(template, facts, now, ["claims"])
        if problems:
            raise DataFileError(path, lines.get(("texts", name)), f"texts.{name}: {problems[0]}")
    return messages


@dataclass(frozen=True)
class Knowledge:
    """Everything the engine reads: facts, wording and FAQ entries (in staff order)."""

    facts: CampaignFacts
    messages: Messages
    entries: tuple[Entry, ...]
    flow: Flow

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, if any."""
        return next((e for e in self.entries if e.id == entry_id), None)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """Every word the knowledge uses (facts, FAQ, messages, dialog), built on first use;
        not the out-of-scope entries' (their words are exactly those of other matters)."""
        return Vocabulary(strings([
            self.facts, self.messages, self.flow, [full for full, _, _ in PREFECTURES],
            [(e.question, e.examples, e.answer) for e in self.entries if "範囲外" not in e.tags]]))


def load_static(knowledge_dir: Path, now: datetime) -> tuple[CampaignFacts, Messages]:
    """Facts and wording from the knowledge folder (checked; DataFileError if broken)."""
    facts = load_facts(knowledge_dir / "campaign.yaml")
    return facts, load_messages(knowledge_dir / "messages.yaml", facts, now)


def load_dialog(dialogs_dir: Path, facts: CampaignFacts, now: datetime) -> Flow:
    """The eligibility dialog (checked; DataFileError naming file, line and step if broken)."""
    flow = load_flow(dialogs_dir / "eligibility.yaml", facts, now)
    phrases.warm()  # the reading dictionaries, loaded at start-up rather than mid-conversation
    return flow


def seed_entries(knowledge_dir: Path) -> list[Entry]:
    """The starting FAQ that a fresh install copies into the database."""
    return load_faq(knowledge_dir / "faq.yaml")
