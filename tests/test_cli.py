"""The `claimbot` command as staff and scripts use it: a real process, real stdin/stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import CACHE, KNOWLEDGE

CLAIMBOT = [sys.executable, "-m", "bot"]


def run(args: list[str], tmp_path: Path, stdin: str = "", now: str = "2023-03-15T11:00",
        db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "DATABASE"))}
    env.update(CLAIMBOT_DATA_DIR=str(tmp_path / "var"), CLAIMBOT_NOW=now,
               CLAIMBOT_CACHE_DIR=str(CACHE))
    if db_url:
        env["DATABASE_URL"] = db_url
    return subprocess.run([*CLAIMBOT, *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)


def _lines(*objects: object) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n"
                   for o in objects)


def test_jsonl_answers_each_line_once_and_survives_bad_lines(tmp_path: Path) -> None:
    stdin = _lines(
        {"user": "U1", "text": "選べるポイントの種類を教えて"},
        "{not json",
        {"user": "U1"},
        ["a", "list"],
        {"user": "U2", "text": "\u0000\u0007<b>x</b>"},
        {"user": "U1", "postback": "faq:does-not-exist"},
        {"user": "U1", "text": "ポイント" * 1250},
    )
    proc = run(["chat", "--jsonl"], tmp_path, stdin)
    assert proc.returncode == 0, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(replies) == 7
    assert "Amazon" in replies[0]["messages"][0]["text"]
    for index in (1, 2, 3):
        assert replies[index]["messages"] == [] and replies[index]["error"].startswith(
            f"line {index + 1}: ")
    for reply in (replies[0], replies[4], replies[5], replies[6]):
        assert "error" not in reply and reply["messages"]
        for message in reply["messages"]:
            assert isinstance(message["text"], str) and message["text"]
            for button in message.get("buttons", []):
                assert isinstance(button["label"], str)
                assert len({"text", "data", "uri"} & button.keys()) == 1
    assert "Traceback" not in proc.stderr


def test_a_conversation_persists_between_runs(tmp_path: Path) -> None:
    run(["chat", "--jsonl"], tmp_path, _lines({"user": "U9", "text": "奈良の天気は？"}))
    proc = run(["faq", "unanswered"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows and rows[0]["count"] == 1


def test_interactive_chat_numbers_tap_buttons(tmp_path: Path) -> None:
    proc = run(["chat"], tmp_path, "4\n終了\n")
    assert proc.returncode == 0, proc.stderr
    assert "[1] 補償の対象か確認する" in proc.stdout
    assert "nanaco" in proc.stdout  # [4] 選べるポイント was tapped and answered
    assert proc.stdout.rstrip().endswith("ご利用ありがとうございました。")


def test_faq_export_check_import_round_trip(tmp_path: Path) -> None:
    exported = run(["faq", "export"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    data = yaml.safe_load(exported.stdout)
    original = yaml.safe_load((KNOWLEDGE / "faq.yaml").read_text(encoding="utf-8"))
    assert [e["id"] for e in data["entries"]] == [e["id"] for e in original["entries"]]
    data["entries"][0]["answer"] = "書き換えた答えです。\n{hotline}\n"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    checked = run(["faq", "check", str(edited)], tmp_path)
    assert checked.returncode == 0, checked.stderr
    imported = run(["faq", "import", str(edited)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    again = yaml.safe_load(run(["faq", "export"], tmp_path).stdout)
    assert again["entries"][0]["answer"].startswith("書き換えた答えです。")


@pytest.mark.parametrize(
    ("mutate", "said"),
    [
        (lambda e: e[1].update(id=e[0]["id"]), "duplicate id"),
        (lambda e: e[0].update(answer="期限は{deadline.aply}です"), "unknown fact"),
        (lambda e: e[0].update(anwser="x"), "unknown key"),
        (lambda e: e[0].update(examples=[e[1]["question"]]), "ranks"),
    ],
)
def test_faq_check_names_the_problem_and_import_changes_nothing(tmp_path, mutate, said) -> None:
    data = yaml.safe_load((KNOWLEDGE / "faq.yaml").read_text(encoding="utf-8"))
    mutate(data["entries"])
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    checked = run(["faq", "check", str(broken)], tmp_path)
    assert checked.returncode != 0 and said in checked.stderr
    assert f"{broken}:" in checked.stderr and "Traceback" not in checked.stderr
    imported = run(["faq", "import", str(broken)], tmp_path)
    assert imported.returncode != 0 and "nothing changed" in imported.stderr


def _rank(tmp_path: Path, entries: list[dict], queries: str,
          top: int) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    """`claimbot faq rank` on these entries and questions: the process and its JSON lines."""
    faq, questions = tmp_path / "faq.yaml", tmp_path / "q.txt"
    faq.write_text(yaml.safe_dump({"entries": entries}, allow_unicode=True), encoding="utf-8")
    questions.write_text(queries, encoding="utf-8")
    proc = run(["faq", "rank", "--faq", str(faq), "--queries", str(questions), "--top",
                str(top)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc, [json.loads(line) for line in proc.stdout.splitlines()]


def test_faq_rank_prints_one_json_line_per_query(tmp_path: Path) -> None:
    proc, rows = _rank(tmp_path, [
        {"id": "gomi", "question": "粗大ごみの出し方を知りたい",
         "answer": "粗大ごみは事前に申し込みが必要です。"},
        {"id": "juminhyo", "question": "住民票の写しはどこで取れますか",
         "answer": "市役所の窓口かコンビニで取得できます。"},
        {"id": "inu", "question": "犬の登録はどうすればいいですか",
         "answer": "保健所で登録してください。{braces are text here}"},
    ], "古いソファを捨てたい\n\nコンビニで住民票をとりたい\n", top=2)
    assert [r["query"] for r in rows] == ["古いソファを捨てたい", "コンビニで住民票をとりたい"]
    assert [r["ranking"][0]["id"] for r in rows] == ["gomi", "juminhyo"]
    assert all(len(r["ranking"]) == 2 for r in rows)
    assert "ms per query" in proc.stderr


def test_faq_rank_reads_another_organisations_faq_leniently(tmp_path: Path) -> None:
    """Numbered ids, keys of its own, an empty or very long answer: still ranked; a file
    without questions is a clear error, not a traceback."""
    _, rows = _rank(tmp_path, [
        {"id": 101, "question": "粗大ごみの出し方を知りたい", "answer": "事前申込制です。" * 800,
         "category": "ごみ", "url": "https://example.jp/gomi"},
        {"id": 102, "question": "住民票の写しはどこで取れますか", "answer": None},
        {"id": "faq/103", "question": "犬の登録はどうすればいいですか", "answer": "保健所へ。",
         "examples": None},
    ], "ソファを捨てたい\n住民票がほしい\nいぬのとうろく\n", top=1)
    assert [r["ranking"][0]["id"] for r in rows] == ["101", "102", "faq/103"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("entries:\n  - id: 1\n    answer: no question here\n", encoding="utf-8")
    proc = run(["faq", "rank", "--faq", str(broken), "--queries", str(tmp_path / "q.txt")],
               tmp_path)
    assert proc.returncode != 0
    assert "broken.yaml" in proc.stderr and "question" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("operator", [None, "1"])
def test_batches_use_every_core_unless_the_operator_chose(operator: str | None) -> None:
    """`claimbot faq rank` embeds in batches on all usable cores; the bot itself embeds one
    question at a time on one thread; an operator's OMP_NUM_THREADS always wins."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if operator:
        env["OMP_NUM_THREADS"] = operator
    code = ("import os, bot; before = os.environ['OMP_NUM_THREADS']; "
            "bot.omp_threads_for_batches(); print(before, os.environ['OMP_NUM_THREADS'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    cores = str(len(os.sched_getaffinity(0)))
    assert out == (["1", "1"] if operator else ["1", cores])


def test_a_broken_database_url_is_a_clear_error(tmp_path: Path) -> None:
    proc = run(["chat", "--jsonl"], tmp_path, "", db_url="mysql://nobody@nowhere/db")
    assert proc.returncode != 0
    assert "unsupported database" in proc.stderr and "Traceback" not in proc.stderr


def test_db_upgrade(tmp_path: Path) -> None:
    proc = run(["db", "upgrade"], tmp_path)
    assert proc.returncode == 0 and "up to date" in proc.stdout
