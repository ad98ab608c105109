"""The Chinese edition (tools/i18n.py, ganlib/i18n.py, docs/TRANSLATING.md): the catalogues
follow the English, every text is translated, the generated files are up to date, their code
is the English code, and the checks speak Chinese where the Chinese notebooks ask."""

from __future__ import annotations

import re
from pathlib import Path

import i18n
import nbformat
import pytest
from _check_suites import run_check_suites
from nbgrader.utils import compute_checksum
from nbtools import (
    README_END,
    README_START,
    chapter_notebooks,
    code_cells,
    read,
    solution_notebooks,
    student_notebooks,
)

import ganlib.i18n as gi

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = chapter_notebooks() + solution_notebooks() + student_notebooks()
CHECKS = gi._catalogue("zh")  # the compiled check messages, as the Chinese notebooks use them


# ------------------------------------------------------------------- the real edition
def test_the_chinese_edition_is_complete_and_up_to_date():
    """Every catalogue has every English text translated, none fuzzy, no formula, code,
    number, link, placeholder or glossary term lost; every generated file is what
    `make zh` writes now."""
    found = i18n.problems()
    assert not found, f"{len(found)} problem(s) (run `make zh`, then translate):\n" + \
        "\n".join(found[:40])


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_chinese_notebook_has_the_english_code_and_outputs(english):
    zh = i18n.zh_path(english)
    assert zh.exists(), f"{zh.relative_to(ROOT)} is missing: run `make zh`"
    a, b = read(english), read(zh)
    assert [c.cell_type for c in a.cells] == [c.cell_type for c in b.cells]
    assert [c.get("id") for c in a.cells] == [c.get("id") for c in b.cells]
    setup = code_cells(a)[0][0]
    for (i, ca), (_, cb) in zip(code_cells(a), code_cells(b), strict=True):
        if i == setup:
            assert cb.source == i18n.setup_cell_source_zh(), "the set-up cell is not generated"

            def code(source):
                return [line for line in source.splitlines() if not line.startswith("#")
                        and line not in ("import os", i18n.LANG_LINE)]
            assert code(cb.source) == code(ca.source), "the set-up cells' code differs"
            continue
        assert cb.source == ca.source, f"cell {i}'s code differs from the English"
        assert [o.get("text") for o in cb.get("outputs", [])] == [
            i18n.verdict_lines(o["text"], CHECKS) if o.get("text") else None
            for o in ca.get("outputs", [])], f"cell {i}'s printed outputs differ"
        assert [{k: v for k, v in o.items() if k != "text"} for o in cb.get("outputs", [])] \
            == [{k: v for k, v in o.items() if k != "text"} for o in ca.get("outputs", [])], \
            f"cell {i}'s outputs differ"
        assert cb.metadata == ca.metadata
    for cell in b.cells:  # nbgrader's checksum is that of the Chinese text
        if "checksum" in cell.metadata.get("nbgrader", {}):
            assert cell.metadata.nbgrader.checksum == compute_checksum(cell)
    first = next(c for c in b.cells if c.cell_type == "markdown")
    assert first.source.endswith(i18n.NOTE), "the note on what stays English is missing"
    for path in i18n.NOTEBOOK_PATH.findall("\n".join(c.source for c in b.cells
                                                      if c.cell_type == "markdown")):
        assert "/zh/" in path, f"{path} sends a Chinese reader to an English notebook"
    for ca, cb in zip(a.cells, b.cells, strict=True):
        if ca.cell_type == "markdown" and i18n.cell_messages(ca.source):
            assert i18n.CJK.search(cb.source), f"an untranslated Markdown cell: {ca.source[:80]!r}"


def test_every_catalogue_reads_back_as_written():
    """What Babel writes it reads back unchanged (no comment left over from an update), and
    no entry carries the python-format flag (none is a %-format: GNU gettext would check it)."""
    for path in sorted((ROOT / "locale").rglob("*.po")):
        catalog = i18n.load(path)
        assert i18n.po_text(catalog) == path.read_bytes(), f"{path} does not read back as written"
        assert not [m.id for m in catalog if m.id and "python-format" in m.flags], path


def test_the_readmes_link_each_other_and_give_the_two_commands():
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    chinese = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    assert "README.zh.md" in "\n".join(english.splitlines()[:8]), \
        "the README links the Chinese edition at the top"
    assert "make lab" in chinese and "make test" in chinese
    assert "](README.md)" in "\n".join(chinese.splitlines()[:8]), "README.zh.md links back"
    block = chinese[chinese.index(README_START):chinese.index(README_END)]
    for path in chapter_notebooks():
        zh = i18n.zh_path(path).relative_to(ROOT).as_posix()
        assert f"]({zh})" in block, f"no badge row for {zh}"
        assert f"blob/main/{zh})" in block, f"no Colab badge for {zh}"
        assert f"labpath={zh.replace('/', '%2F')})" in block, f"no Binder badge for {zh}"


def test_every_message_the_checks_print_in_their_tests_has_a_translation(tmp_path):
    """The checks' test suites (pass, stub, every catalogued mistake, broken code) run with
    each printed message also translated on the side; none may be left English."""
    missed = tmp_path / "missed.txt"
    done = run_check_suites(f"--i18n-audit={missed}")
    assert done.returncode == 0, done.stdout[-3000:]
    left = missed.read_text(encoding="utf-8").splitlines()
    assert not left, f"{len(left)} message(s) with no Chinese, e.g.:\n" + "\n".join(left[:20])


# ------------------------------------------------------------------- ganlib.i18n
def test_the_language_comes_from_ganlib_lang(monkeypatch):
    monkeypatch.delenv("GANLIB_LANG", raising=False)
    assert gi.language() == "en"
    for value, want in (("zh", "zh"), ("zh_CN", "zh"), ("zh-Hans", "zh"), ("en_GB", "en")):
        monkeypatch.setenv("GANLIB_LANG", value)
        assert gi.language() == want
    monkeypatch.setenv("GANLIB_LANG", "fr")
    gi._WARNED.clear()
    with pytest.warns(UserWarning, match="GANLIB_LANG must be one of en, zh .* got 'fr'"):
        assert gi.language() == "en"


def test_a_check_reports_in_chinese_when_asked(monkeypatch):
    from ganlib.checks import ch01

    def stub(real_logits, fake_logits):
        raise NotImplementedError("replace this line with your code")

    def wrong(real_logits, fake_logits):  # a catalogued mistake: the mean of the two means
        import torch.nn.functional as F
        return (-F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()) / 2

    def right(real_logits, fake_logits):
        import torch.nn.functional as F
        return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()

    monkeypatch.delenv("GANLIB_LANG", raising=False)
    english = [ch01.check_value_estimate(f, print_result=False) for f in (stub, wrong, right)]
    monkeypatch.setenv("GANLIB_LANG", "zh")
    chinese = [ch01.check_value_estimate(f, print_result=False) for f in (stub, wrong, right)]
    assert [bool(c) for c in english] == [bool(c) for c in chinese] == [False, False, True]
    for en, zh in zip((c.message for c in english), (c.message for c in chinese), strict=True):
        assert en[0] == zh[0] and en[0] in "✅❌", (en, zh)
        assert i18n.CJK.search(zh) and not i18n.CJK.search(en), (en, zh)
        assert "value_estimate" in zh
    assert "一半" in chinese[1].message, chinese[1].message  # "your V is half the right value"


def test_a_stored_verdict_reads_as_the_chinese_check_prints_it(monkeypatch):
    """The build translates the ✅/❌ lines of stored outputs with translate_verdict: it must
    give what the check prints in Chinese, the learner's own error text and code unchanged."""
    from ganlib.checks import ch01, ch04

    def stub(real_logits, fake_logits):
        raise NotImplementedError("replace this line with your code")

    def asserts(real_logits, fake_logits):  # the learner's own English message
        assert real_logits.shape == (3, 4), \
            f"logits has shape {tuple(real_logits.shape)}, expected shape (3, 4)"

    def right(real_logits, fake_logits):
        import torch.nn.functional as F
        return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()

    def k_rows(x, k):  # k rows instead of N // k
        return x.reshape(k, -1)

    calls = [*(lambda f=f: ch01.check_value_estimate(f, print_result=False)
               for f in (stub, asserts, right)),
             lambda: ch04.check_pack(k_rows, print_result=False)]
    monkeypatch.delenv("GANLIB_LANG", raising=False)
    english = [call().message for call in calls]
    monkeypatch.setenv("GANLIB_LANG", "zh")
    chinese = [call().message for call in calls]
    stored = [gi.translate_verdict(line) for line in english]
    assert [stored[i] for i in (0, 2, 3)] == [chinese[i] for i in (0, 2, 3)]
    # an exception: its text and the learner's code as printed (where it happened stays as
    # printed too in a stored line: no stored output of the course has one)
    error = "❌ value_estimate：你的代码抛出了 AssertionError: logits has shape (7,), expected shape (3, 4)"
    assert stored[1].startswith(error) and chinese[1].startswith(error), (stored[1], chinese[1])
    assert "assert real_logits.shape == (3, 4)" in chinese[1]
    assert i18n.CJK.search(chinese[3]) and "packs" not in chinese[3], chinese[3]


def test_a_bad_ganlib_lang_warns_and_the_checks_answer_in_english(monkeypatch):
    from ganlib.checks import ch01

    monkeypatch.setenv("GANLIB_LANG", "fr")
    gi._WARNED.clear()
    with pytest.warns(UserWarning, match="GANLIB_LANG must be one of en, zh .* got 'fr'"):
        result = ch01.check_value_estimate(lambda r, f: r.mean(), print_result=False)
    assert result.message.startswith("❌ value_estimate: ") and not i18n.CJK.search(
        result.message)


def test_translate_fills_a_template_and_translates_a_message_inside_it(monkeypatch):
    cat = gi._Catalogue({"{what} is wrong: {why}": "{what}有误：{why}",
                         "the sign is flipped": "符号反了",
                         "mean {x:.2f} too big": "均值 {x:.2f} 太大"})
    assert cat.translate("your D is wrong: the sign is flipped") == "your D有误：符号反了"
    same = gi._Catalogue({"{a} and {a} differ from {b}": "{b} 不同于 {a}"})
    assert same.translate("x and x differ from y") == "y 不同于 x"
    assert same.translate("x and z differ from y") is None  # {a} must be the same text twice
    assert cat.translate("mean 3.14 too big") == "均值 3.14 太大"
    assert cat.translate("something else entirely") is None


# ------------------------------------------------------------------- the machinery
def _nb(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    return nb


def _course(root: Path) -> None:
    """A one-chapter course with one exercise, a README and a check module."""
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[project.urls]\nRepository = "https://github.com/o/r"\n')
    md = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    setup = code("# Set-up: on Colab, install ganlib\nimport sys")
    chapter = _nb([md("# Chapter 1 — Title\n\nThe generator draws $z$ from 5,000 points.\n\n"
                      "$$\nx^2\n$$"),
                   setup, code("print(1)", outputs=[nbformat.v4.new_output(
                       "stream", name="stdout", text="1\n❌ check_f: your value is 2.00, "
                                                    "expected 1\n")]),
                   md("See [the next chapter](02_y.ipynb) and [a table](../bench/t.md).")])
    for name, nb in (("notebooks/01_x.ipynb", chapter),
                     ("exercises/solutions/01_x.ipynb", _nb([md("# Task\n\nWrite `f`."),
                                                             setup, code("x = 1")])),
                     ("exercises/01_x.ipynb", _nb([md("# Task\n\nWrite `f`."), setup,
                                                   code("raise NotImplementedError")]))):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, root / name)
    (root / "README.md").write_text(f"# Course\n\nRun `make lab`.\n\n{README_START}\nx\n"
                                    f"{README_END}\n")
    (root / "ganlib" / "checks").mkdir(parents=True)
    (root / "ganlib" / "checks" / "ch01.py").write_text(
        'def f(x):\n    """Docstring."""\n    fail(f"your value is {x:.2f}, expected 1")\n'
        'line = render("❌ {name}: {problem}", name=n, problem=p)\n')


ZH = {
    "# Chapter 1 — Title": "# 第 1 章 — 标题",
    "The generator draws $z$ from 5,000 points.": "生成器（generator）从 5000 个点中抽取 $z$。",
    "See [the next chapter](02_y.ipynb) and [a table](../bench/t.md).":
        "见[下一章](02_y.ipynb)和[表格](../bench/t.md)。",
    "# Task": "# 任务",
    "Write `f`.": "写出 `f`。",
    "# Course": "# 课程",
    "Run `make lab`.": "运行 `make lab`。",
    "your value is {x:.2f}, expected 1": "你的值是 {x:.2f}，应为 1",
    "❌ {name}: {problem}": "❌ {name}：{problem}",
}


def _translate_all(root: Path) -> None:
    for path in (root / "locale" / "zh").rglob("*.po"):
        catalog = i18n.load(path)
        for m in catalog:
            if m.id and m.id in ZH:
                m.string = ZH[m.id]
                m.flags.discard("fuzzy")
        path.write_bytes(i18n.po_text(catalog))


def test_the_cycle_english_changes_then_translation_then_build(tmp_path, capsys):
    root = tmp_path
    _course(root)
    i18n.cmd_update(root)
    assert any("untranslated" in p for p in i18n.problems(root))
    _translate_all(root)
    i18n.cmd_build(root)
    assert i18n.problems(root) == []
    zh = read(root / "notebooks" / "zh" / "01_x.ipynb")
    assert zh.cells[0].source == ("# 第 1 章 — 标题\n\n生成器（generator）从 5000 个点中抽取 $z$。"
                                  "\n\n$$\nx^2\n$$\n\n" + i18n.NOTE)
    assert zh.cells[3].source == "见[下一章](02_y.ipynb)和[表格](../../bench/t.md)。"
    assert zh.cells[2].outputs[0].text == "1\n❌ check_f：你的值是 2.00，应为 1\n"
    readme = (root / "README.zh.md").read_text()
    assert readme.startswith("# 课程\n\n运行 `make lab`。") and "notebooks/zh/01_x.ipynb" in readme
    # the English changes: the old translation stays, marked fuzzy, and the check fails
    nb = nbformat.read(root / "notebooks" / "01_x.ipynb", 4)
    nb.cells[0].source = nb.cells[0].source.replace("5,000", "6,000")
    nbformat.write(nb, root / "notebooks" / "01_x.ipynb")
    found = i18n.problems(root)
    assert any("not in the catalogue" in p for p in found)
    assert any("out of date" in p for p in found)
    i18n.cmd_update(root)
    catalog = i18n.load(root / "locale" / "zh" / "notebooks" / "01_x.po")
    entry = catalog["The generator draws $z$ from 6,000 points."]
    assert entry.fuzzy and entry.string.startswith("生成器")
    assert any("fuzzy" in p for p in i18n.problems(root))
    # the export shows the old English; importing it untouched approves nothing
    po, txt = root / "locale" / "zh" / "notebooks" / "01_x.po", root / "x.txt"
    i18n.cmd_export(po, txt)
    text = txt.read_text()
    assert i18n.BEFORE_MARK + "\nThe generator draws $z$ from 5,000 points." in text
    i18n.cmd_import(po, txt, root)
    assert i18n.load(po)["The generator draws $z$ from 6,000 points."].fuzzy
    # a generated notebook edited by hand is out of date
    _translate_all(root)
    ZH_6000 = "生成器（generator）从 6000 个点中抽取 $z$。"
    catalog = i18n.load(root / "locale" / "zh" / "notebooks" / "01_x.po")
    catalog["The generator draws $z$ from 6,000 points."].string = ZH_6000
    catalog["The generator draws $z$ from 6,000 points."].flags.discard("fuzzy")
    (root / "locale" / "zh" / "notebooks" / "01_x.po").write_bytes(i18n.po_text(catalog))
    i18n.cmd_build(root)
    assert i18n.problems(root) == []
    path = root / "notebooks" / "zh" / "01_x.ipynb"
    path.write_text(path.read_text().replace("print(1)", "print(2)"))
    found = i18n.problems(root)
    assert len(found) == 1 and found[0].startswith("notebooks/zh/01_x.ipynb: out of date"), found


def test_an_entry_changed_twice_before_review_keeps_the_english_it_was_translated_for(tmp_path):
    _course(tmp_path)
    i18n.cmd_update(tmp_path)
    _translate_all(tmp_path)
    path = tmp_path / "notebooks" / "01_x.ipynb"
    po = tmp_path / "locale" / "zh" / "notebooks" / "01_x.po"
    for number in ("6,000", "7,000"):
        nb = nbformat.read(path, 4)
        nb.cells[0].source = re.sub(r"\d,000", number, nb.cells[0].source)
        nbformat.write(nb, path)
        i18n.cmd_update(tmp_path)
    entry = i18n.load(po)["The generator draws $z$ from 7,000 points."]
    assert entry.fuzzy and entry.user_comments == [
        i18n.BEFORE + "The generator draws $z$ from 5,000 points."], entry.user_comments


@pytest.mark.parametrize("english, chinese, problem", [
    ("Set $x = 1$ here.", "这里令 x = 1。", "formulas differ"),
    ("Call `f(x)` now.", "现在调用 f(x)。", "code spans differ"),
    ("Call `f(x)` now, then `f(x)`.", "现在调用 `f(x)`，然后调用它。", "code spans differ"),
    ("## 1. The data and the two players", "## 1. The data and the two players", "left in English"),
    ("The quick check of a paragraph.", "这个 paragraph was left mostly in English words.",
     "English left"),
    ("It took 12.5 s.", "用时 12.4 秒。", "numbers differ"),
    ("See [it](a.md).", "见[它](b.md)。", "links differ"),
    ("The words of a long English paragraph here.", "The words of a long English paragraph.",
     "no Chinese"),
    ("The discriminator wins.", "鉴别器获胜。", "glossary"),
    ("**Prerequisites:** chapter 1.", "**预备知识：**第 1 章。", "bold/italics"),
])
def test_a_translation_that_loses_something_is_caught(english, chinese, problem):
    terms = [("discriminator", "判别器", True)]
    assert any(problem in p for p in i18n.problems_of(english, chinese, terms)), \
        i18n.problems_of(english, chinese, terms)


def test_a_faithful_translation_passes():
    terms = [("discriminator", "判别器", True)]
    assert i18n.problems_of("The discriminator of $D(x)$ took 5,000 steps: `f()`.",
                            "判别器 $D(x)$ 走了 5000 步：`f()`。", terms) == []
    assert i18n.problems_of("Since 31 May 2017.", "自 2017 年 5 月 31 日起。", terms) == []
    assert i18n.problems_of("Since 31 May 2017.", "自 2017 年 5 月 30 日起。", terms)
    assert i18n.problems_of("your V is {got:.4f}", "你的 V 是 {got}", terms, "checks")
    assert i18n.problems_of("your V is {got:.4f}", "你的 V 是 {got:.4f}", terms, "checks") == []


def test_split_blocks_gives_the_text_back_and_keeps_math_and_code_whole():
    text = "a\n\n$$\nx\n\ny\n$$\n\n```\nc\n\nd\n```\n\n\nb\n"
    parts = i18n.split_blocks(text)
    assert "".join(parts) == text
    assert parts[0::2] == ["a", "$$\nx\n\ny\n$$", "```\nc\n\nd\n```", "b"]
    for path in ENGLISH:
        for cell in read(path).cells:
            assert "".join(i18n.split_blocks(cell.source)) == cell.source


def test_ci_parameters_of_a_chinese_notebook_are_the_english_ones():
    from nbtools import ci_parameters_for, load_ci_parameters

    table = load_ci_parameters()
    for path in student_notebooks():
        assert ci_parameters_for(i18n.zh_path(path), table) == ci_parameters_for(path, table)
    assert table, "notebooks/ci_parameters.json is empty"
