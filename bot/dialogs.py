"""Dialog flows as data (dialogs/*.yaml): schema, checks at load time, and Mermaid diagrams."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.knowledge.facts import CampaignFacts
from bot.knowledge.render import check_template
from bot.yamlsrc import DataFileError, load_yaml, validate

Label = Annotated[str, Field(min_length=1, max_length=40)]
PARSERS = ("name", "address", "phone", "email", "inquiry_number", "date", "prefecture", "shop",
           "contact")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Strict):
    label: Label
    value: str
    means: Literal["yes", "no"] | None = None
    say: list[str] = []


class StepDef(_Strict):
    ask: str
    slot: str
    choices: list[Choice] = Field(min_length=2, max_length=12)
    next: dict[str, str]
    date_is: str | None = None  # a typed date: this fact's day → the choice "original"
    date_cues: list[str] = []  # words that tie a date in any sentence to this step (期限)
    amount: dict[Literal["positive", "zero"], str] = {}  # "3000円残ってた" → the positive value
    amount_cues: list[str] = []  # words that tie an amount in any sentence to this step (残高は)
    # An answer to this step that is only a number (「3000」「0」「２０００くらい」) is that many
    # yen; these words may follow the number (an estimate, a filler), nothing else.
    amount_tails: list[str] = []
    # An answer that names the day only by words like these (「金曜日まで」「先週」), with no date
    # read from it, is asked again with `vague_say` (and an example): never guessed.
    vague_words: list[str] = []
    vague_say: str = ""


class Rule(_Strict):
    sets: dict[str, str]
    all: list[list[str]] = Field(min_length=1)
    # Words that deny what the rule reads (「2回押したけど引かれてはいない」): none may occur.
    unless: list[str] = []
    # Its parts must all be in one message: a story told in two messages does not complete it
    # (「息子に聞けと言われまして」 then 「紙のクーポンでした」 is no shop refusing the coupon).
    together: bool = False
    # As firm as a rule of several parts (it outweighs a slot guessed earlier): 「紙ではなく
    # 電子クーポンでした」 corrects the paper coupon read into 「クーポンが使えなかった」.
    strong: bool = False

    @field_validator("unless", mode="before")
    @classmethod
    def _flatten(cls, value: Any) -> Any:
        """`unless: [*refused, 引かれ]`: a named list of words (a YAML alias) among the words."""
        if isinstance(value, list):
            return [w for item in value for w in (item if isinstance(item, list) else [item])]
        return value


class Corrections(_Strict):
    """How people take an answer back: 「やっぱり」, 「ちゃう、電子クーポンやった」,
    「2月24日…あ、違いました」."""

    marks: list[str] = []  # anywhere in the text: an earlier answer is being changed
    leading_no: list[str] = []  # a leading "no" (「いや、」「ちゃう、」)
    retract: list[str] = []  # the whole tail of an answer after its value: the value is taken back


class OutcomeDef(_Strict):
    title: str
    route: str | None = None
    say: str
    intake: str | None = None
    offer_until: str | None = None


class IntakeDef(_Strict):
    kind: Literal["application", "case"]
    offer: str
    items: list[str] = Field(min_length=1)
    done: str


class ItemDef(_Strict):
    label: Label
    parser: Literal[PARSERS]  # type: ignore[valid-type]
    ask: str
    say: list[str] = []  # other names people use for it ("電話番号を直したい")


class Texts(_Strict):
    consent: str
    consent_labels: list[Label] = Field(min_length=2, max_length=2)
    declined: str
    confirm: str
    confirm_labels: list[Label] = Field(min_length=3, max_length=3)
    fix_which: str
    retry: str
    give_up: str
    cancelled: str
    already_filed: str
    resume: str
    same_answer: str  # an answer given again after the outcome, to a question already settled
    noted: str  # before the question asked again, when the answer was to another question
    offer_labels: list[Label] = Field(min_length=2, max_length=2)
    no_offer: str
    # Words people answer with, besides the labels and yes/no, per answer.
    offer_say: dict[Literal["yes", "no"], list[str]] = {}
    consent_say: dict[Literal["yes", "no"], list[str]] = {}
    confirm_say: dict[Literal["submit", "fix", "cancel"], list[str]] = {}
    # A change of mind after declining the offer or the consent (「やっぱり」), with a yes word.
    reconsider_marks: list[str] = []


class Flow(_Strict):
    """One dialog: steps, understanding rules, outcomes, intakes and their items."""

    id: str
    start: str
    steps: dict[str, StepDef]
    understand: list[Rule] = []
    # Whole answers that say yes or no to a question asked with a verb (「ある」「した」「ない」),
    # for the choices marked `means`; read only as the whole answer, never inside a sentence.
    bare_answers: dict[Literal["yes", "no"], list[str]] = {}
    corrections: Corrections = Corrections()
    outcomes: dict[str, OutcomeDef]
    intakes: dict[str, IntakeDef]
    texts: Texts
    items: dict[str, ItemDef]

    def slot_values(self) -> dict[str, set[str]]:
        """Every slot and the values its choices can give it."""
        return {s.slot: {c.value for c in s.choices} for s in self.steps.values()}


OUTCOME = "outcome."


def _problems(flow: Flow, facts: CampaignFacts, now: datetime) -> list[tuple[tuple, str]]:
    """Everything wrong with a flow, each with the YAML path it is at."""
    found: list[tuple[tuple, str]] = []
    if flow.start not in flow.steps:
        found.append((("start",), f"start: unknown step {flow.start!r}"))
    values = flow.slot_values()
    for name, step in flow.steps.items():
        found += [(("steps", name, "ask"), f"steps.{name}.ask: {p}")
                  for p in check_template(step.ask, facts, now)]
        for index, choice in enumerate(step.choices):
            found += [(("steps", name, "choices", index), f"steps.{name}: label: {p}")
                      for p in check_template(choice.label, facts, now)]
            if choice.value not in step.next:
                found.append((("steps", name, "next"),
                              f"steps.{name}.next: no target for value {choice.value!r}"))
        for kind, value in step.amount.items():
            if value not in values[step.slot]:
                found.append((("steps", name, "amount", kind),
                              f"steps.{name}.amount: {value!r} is not a value of a choice"))
        for value, target in step.next.items():
            if value not in values[step.slot]:
                found.append((("steps", name, "next", value),
                              f"steps.{name}.next: {value!r} is not a value of a choice"))
            if target.startswith(OUTCOME):
                if target.removeprefix(OUTCOME) not in flow.outcomes:
                    found.append((("steps", name, "next", value),
                                  f"steps.{name}.next: unknown outcome {target!r}"))
            elif target not in flow.steps:
                found.append((("steps", name, "next", value),
                              f"steps.{name}.next: unknown step {target!r}"))
        if step.date_is is not None:
            try:
                facts.lookup(step.date_is)
            except KeyError:
                found.append((("steps", name, "date_is"), f"unknown fact {step.date_is!r}"))
    for index, rule in enumerate(flow.understand):
        for slot, value in rule.sets.items():
            if value not in values.get(slot, set()):
                found.append((("understand", index),
                              f"understand[{index}]: {slot}={value!r} is not a known value"))
    for name, outcome in flow.outcomes.items():
        for field in ("title", "say"):
            found += [(("outcomes", name, field), f"outcomes.{name}.{field}: {p}")
                      for p in check_template(getattr(outcome, field), facts, now)]
        if outcome.intake is not None and outcome.intake not in flow.intakes:
            found.append((("outcomes", name, "intake"), f"unknown intake {outcome.intake!r}"))
        if outcome.offer_until is not None:
            try:
                facts.lookup(outcome.offer_until)
            except KeyError:
                found.append((("outcomes", name, "offer_until"),
                              f"unknown fact {outcome.offer_until!r}"))
    for name, intake in flow.intakes.items():
        for item in intake.items:
            if item not in flow.items:
                found.append((("intakes", name, "items"), f"intakes.{name}: unknown item {item!r}"))
        for field in ("offer", "done"):
            found += [(("intakes", name, field), f"intakes.{name}.{field}: {p}")
                      for p in check_template(getattr(intake, field), facts, now, ["receipt"])]
    for field, value in flow.texts.model_dump().items():
        if isinstance(value, dict):
            continue  # words people answer with: matched, never rendered
        for text in value if isinstance(value, list) else [value]:
            found += [(("texts", field), f"texts.{field}: {p}") for p in check_template(
                text, facts, now, ["privacy_url", "items", "receipt", "problem", "label"])]
    for name, item in flow.items.items():
        found += [(("items", name, "ask"), f"items.{name}.ask: {p}")
                  for p in check_template(item.ask, facts, now)]
    return found


def load_flow(path: Path, facts: CampaignFacts, now: datetime) -> Flow:
    """Load and check one flow; a broken one raises DataFileError naming file, line and step."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(path, None, f"cannot read: {exc.strerror}") from None
    data, lines = load_yaml(text, path)
    flow = validate(Flow, data, lines, path)
    problems = _problems(flow, facts, now)
    if problems:
        where, message = problems[0]
        line = next((lines[where[:n]] for n in range(len(where), 0, -1) if where[:n] in lines),
                    None)
        raise DataFileError(path, line, message)
    return flow


def mermaid(flow: Flow) -> str:
    """A Mermaid flowchart of the steps and outcomes (kept beside the YAML, checked current)."""
    rows = ["flowchart TD", f"    %% generated from dialogs/{flow.id}.yaml: do not edit by hand"]
    for name, step in flow.steps.items():
        lines = [line for line in step.ask.strip().splitlines() if line.strip()]
        question = next((line for line in reversed(lines) if line.endswith("？")), lines[0])
        question = question.replace('"', "'")
        rows.append(f'    {name}["{name}: {question}"]')
    for name, outcome in flow.outcomes.items():
        rows.append(f'    outcome_{name}(["{name}: {outcome.title}"])')
        if outcome.intake:
            rows.append(f"    outcome_{name} -. offer .-> intake_{outcome.intake}")
    for name, intake in flow.intakes.items():
        items = " → ".join(intake.items)
        rows.append(f'    intake_{name}[/"{name}: consent → {items} → confirm → file"/]')
    for name, step in flow.steps.items():
        labels = {c.value: c.label for c in step.choices}
        for value, target in step.next.items():
            node = "outcome_" + target.removeprefix(OUTCOME) if target.startswith(OUTCOME) \
                else target
            rows.append(f'    {name} -- "{labels.get(value, value)}" --> {node}')
    return "\n".join(rows) + "\n"
