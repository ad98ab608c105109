"""The Chinese edition: gettext catalogues beside the English, and what is built from them.

The English notebooks are the one source of code and outputs. Their prose is translated in
gettext catalogues (``locale/zh/…/*.po``, read and written with Babel), one per notebook,
keyed by the English text, a Markdown cell split into its paragraphs (blocks separated by
a blank line); ``locale/zh/README.po`` translates the README and ``locale/zh/checks/*.po``
the messages of ``ganlib.checks`` (one per module, ``common.po`` for ``__init__`` and
``support``; compiled into ganlib's package data for :mod:`ganlib.i18n`).
``locale/zh/glossary.po`` holds the terms every catalogue must use.

=======================  ==================================================================
command                  what it does
=======================  ==================================================================
``update``               merge the English sources into the catalogues: new text becomes
                         an entry to translate, changed text keeps its old translation
                         marked fuzzy (to be reviewed), text gone is dropped
``build`` (``make zh``)  ``update``, compile the check messages, then write notebooks/zh/,
                         exercises/zh/ (and solutions/), README.zh.md
``--check``              fail (exit 1) on anything stale: a catalogue behind the English,
                         an entry untranslated or fuzzy, a translation that lost a formula,
                         code, a number, a link or a glossary term, a generated file that
                         differs from what ``build`` would write
``export PO TXT``        write a catalogue's entries as a plain text file to translate in
``import PO TXT``        read such a file back into the catalogue, and validate it
=======================  ==================================================================

The generated notebooks have the English notebook's cells, ids, metadata, code and outputs
(the same code and seed give the same results), with each Markdown paragraph replaced by
its translation and relative links re-pointed from the zh folder. One code cell differs:
the set-up cell, which also sets ``GANLIB_LANG=zh`` so that the checks report in Chinese.
Figures keep their English labels: no font that renders Chinese is on every platform the
course runs on (DejaVu Sans, matplotlib's default, has none).
"""

from __future__ import annotations

import argparse
import ast
import copy
import io
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import mistune
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from nbgrader.utils import compute_checksum
from nbtools import (
    README_START,
    ROOT,
    SETUP_MARK,
    chapter_notebooks,
    code_cells,
    dumps,
    read,
    readme_badges,
    readme_block,
    rel,
    repository_url,
    solution_notebooks,
    student_notebooks,
)

from ganlib.i18n import _Catalogue

LANG = "zh"
LOCALE = Path("locale") / LANG
MO = Path("ganlib") / "locale" / LANG / "LC_MESSAGES" / "ganlib.mo"
CHECKS = Path("ganlib") / "checks"
LANG_LINE = f'os.environ["GANLIB_LANG"] = "{LANG}"'
CJK = re.compile(r"[\u3400-\u9fff]")
# The README's line that links the other language: not translated, swapped.
SWITCH = ("**中文版** — the whole course in Chinese: [README.zh.md](README.zh.md)",
          "**English** — 英文版：[README.md](README.md)。`make lab` 打开的是英文各章的目录；"
          "中文版在 [notebooks/zh/](notebooks/zh/) 和 [exercises/zh/](exercises/zh/) 中。")
SWITCH_TOKEN = "<!-- the other language's line -->"  # (relink leaves it alone)


# ------------------------------------------------------------------ what is translated
def split_blocks(text: str) -> list[str]:
    """A Markdown text as [block, separator, block, …]: blocks are separated by blank lines
    outside fenced code and ``$$`` display math; joining the list gives the text back."""
    lines = text.split("\n")
    groups: list[tuple[bool, list[str]]] = []  # (is a run of blank lines, its lines)
    fence = math = False
    for line in lines:
        blank = not fence and not math and not line.strip()
        if not blank:
            stripped = line.strip()
            if stripped.startswith(("```", "~~~")):
                fence = not fence
            elif not fence and stripped.count("$$") % 2 == 1:
                math = not math
        if groups and groups[-1][0] == blank:
            groups[-1][1].append(line)
        else:
            groups.append((blank, [line]))
    parts: list[str] = []
    for n, (blank, run) in enumerate(groups):
        joined = "\n".join(run)
        if not blank:
            parts.append(joined)
            continue
        if not parts:
            parts.append("")
        before = "\n" if n > 0 else ""
        after = "\n" if n < len(groups) - 1 else ""
        parts.append(before + joined + after)
    return parts


MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?!\$).+?(?<![\\$])\$", re.S)
CODE = re.compile(r"`(?:[^`\n]|\n(?!\n))+`")  # a code span may wrap, not span paragraphs
URL = re.compile(r"\]\(([^)\s]+)")
MONTHS = (r"\b(January|February|March|April|May|June|July|August|September|October|"
          r"November|December)\b")
NUMBER = re.compile(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?")


def prose(text: str) -> str:
    """The text without formulas, code, links' targets and HTML tags."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = MATH.sub(" ", text)
    text = CODE.sub(" ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.sub(r"<[^>]+>", " ", text)


def translatable(block: str) -> bool:
    """Whether a block has words to translate (not code, a formula, an image or a rule)."""
    stripped = block.strip()
    if stripped.startswith(("```", "~~~")) and stripped.endswith(("```", "~~~")):
        return False
    return re.search(r"[A-Za-z]{2,}", prose(block)) is not None


def cell_messages(source: str) -> list[str]:
    """The translatable blocks of a Markdown cell, in order."""
    parts = split_blocks(source)
    return [p for p in parts[0::2] if translatable(p)]


def translate_markdown(source: str, table: dict[str, str], missing: list[str]) -> str:
    parts = split_blocks(source)
    for i in range(0, len(parts), 2):
        block = parts[i]
        if translatable(block):
            if table.get(block):
                parts[i] = table[block]
            else:
                missing.append(block)
    return "".join(parts)


# ------------------------------------------------------------------ the sources
def readme_blocks_text(text: str) -> str:
    """The README without its generated badge block (regenerated per language)."""
    block = readme_block(text)
    return text.replace(block, README_START) if block else text


def sources(root: Path = ROOT) -> dict[Path, list[tuple[str, list[str]]]]:
    """catalogue path → [(location, messages)] for every English source."""
    out: dict[Path, list[tuple[str, list[str]]]] = {}

    def notebook_messages(paths: list[Path]) -> list[tuple[str, list[str]]]:
        found = []
        for path in paths:
            for i, cell in enumerate(read(path).cells):
                if cell.cell_type == "markdown":
                    found.append((f"{rel(path, root)}:{i + 1}", cell_messages(cell.source)))
        return found

    for path in chapter_notebooks(root):
        out[root / LOCALE / "notebooks" / f"{path.stem}.po"] = notebook_messages([path])
    students = {p.name: p for p in student_notebooks(root)}
    for path in solution_notebooks(root):
        paths = [path] + ([students[path.name]] if path.name in students else [])
        out[root / LOCALE / "exercises" / f"{path.stem}.po"] = notebook_messages(paths)
    readme = readme_blocks_text((root / "README.md").read_text(encoding="utf-8"))
    parts = split_blocks(readme)
    out[root / LOCALE / "README.po"] = [
        ("README.md:1", [p for p in parts[0::2]
                         if translatable(p) and p not in (README_START, SWITCH[0])])]
    for path in sorted((root / CHECKS).glob("*.py")):
        name = "common" if path.stem in ("__init__", "support") else path.stem
        out.setdefault(root / LOCALE / "checks" / f"{name}.po", []).extend(
            check_messages(path, root))
    return out


PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _template(node: ast.AST) -> str | None:
    """A string constant or f-string as a message template: ``{expression}`` for each
    replacement field (the expression's source, format spec included)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                out.append(value.value)
            else:
                spec = ""
                if value.format_spec is not None:
                    spec = ":" + "".join(v.value if isinstance(v, ast.Constant) else "…"
                                         for v in value.format_spec.values)
                out.append("{" + ast.unparse(value.value) + spec + "}")
        return "".join(out)
    return None


def is_message(template: str) -> bool:
    """A template a learner reads: words, not an identifier, a format spec or a path."""
    literal = PLACEHOLDER.sub("", template)
    return (re.search(r"[A-Za-z]{3,}", literal) is not None and " " in template.strip()
            and not literal.startswith(("test_", "GANLIB_")))


def check_messages(path: Path, root: Path = ROOT) -> list[tuple[str, list[str]]]:
    """Every message template in a module of ganlib/checks (docstrings excepted)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # skipped: docstrings and other bare strings; what a `raise` says (to a programmer); text
    # looked for in an error message (`"…" in str(err)`: torch's words, never shown)
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skipped.add(id(node.value))
        elif isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In | ast.NotIn):
            skipped.add(id(node.left))
        elif isinstance(node, ast.Raise):
            skipped.update(id(n) for n in ast.walk(node))
    inner = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner.update(id(v) for v in node.values)
            for v in node.values:
                if isinstance(v, ast.FormattedValue) and v.format_spec is not None:
                    inner.add(id(v.format_spec))
    rendered = {id(node.args[0]) for node in ast.walk(tree)  # render(template, …)
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "render"
                and node.args}
    messages = []
    for node in ast.walk(tree):
        if id(node) in skipped or id(node) in inner:
            continue
        template = _template(node)
        if template is not None and (is_message(template) or id(node) in rendered):
            messages.append((node.lineno, template))
    return [(f"{rel(path, root)}:{lineno}", [template])
            for lineno, template in sorted(messages)]


# ------------------------------------------------------------------ catalogues
HEADER = """\
# Chinese translation of the GAN course (gan-course): one catalogue per English source,
# keyed by its text. `make zh` merges changes of the English and builds the Chinese files;
# `python tools/i18n.py --check` lists what is left to translate. Terms: glossary.po.
#"""
EPOCH = datetime(2026, 12, 7, tzinfo=timezone.utc)


def new_catalog() -> Catalog:
    """An empty catalogue with a fixed header (no dates that change on every update)."""
    catalog = Catalog(locale="zh_Hans_CN", project="gan-course", version="1",
                      copyright_holder="the gan-course authors",
                      language_team="gan-course <zh>", last_translator="gan-course",
                      creation_date=EPOCH, revision_date=EPOCH, fuzzy=False,
                      header_comment=HEADER)
    return catalog


def template_catalog(entries: list[tuple[str, list[str]]]) -> Catalog:
    catalog = new_catalog()
    for location, messages in entries:
        file, _, line = location.rpartition(":")
        for msg in messages:
            if msg in catalog:
                catalog[msg].locations.append((file, int(line)))
            else:
                catalog.add(msg, locations=[(file, int(line))])
    return catalog


def load(path: Path) -> Catalog:
    """A catalogue, without the ``python-format`` flag Babel infers from a ``%`` in prose
    (no entry is a %-format; GNU gettext would check one as such)."""
    with open(path, "rb") as f:
        catalog = read_po(f, locale="zh_Hans_CN")
    for m in catalog:
        m.flags.discard("python-format")
    return catalog


def po_text(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, ignore_obsolete=True, sort_output=False)
    return buf.getvalue()


BEFORE = "English before: "  # a fuzzy entry's old English, in translator comments


def updated(path: Path, entries: list[tuple[str, list[str]]]) -> Catalog:
    """The catalogue at ``path`` merged with the current English entries, in their order.

    Babel marks a changed entry fuzzy and keeps its old English as ``previous_id``; its
    writer wraps that badly (GNU gettext then rejects the file), so the old English goes
    into translator comments instead (``# English before: …``), until the entry is
    translated again. Babel's automatic ``python-format`` flag (for a ``%`` in prose) is
    dropped: no entry is a %-format."""
    template = template_catalog(entries)
    catalog = load(path) if path.exists() else new_catalog()
    before = {m.id: [c for c in m.user_comments if c.startswith(BEFORE)]
              for m in catalog if m.id and m.fuzzy}  # the English its translation was made for
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False,
                   update_creation_date=False)
    ordered = new_catalog()
    for msg in template:
        if not msg.id:
            continue
        old = catalog[msg.id]
        old.flags.discard("python-format")  # (update adds it again)
        if old.previous_id:
            previous = old.previous_id[0] if isinstance(old.previous_id, list | tuple) \
                else old.previous_id
            # changed twice before a review: the translation is still that of the first text
            kept = before.get(previous) or [BEFORE + line for line in previous.split("\n")]
            old.user_comments = [c for c in old.user_comments if not c.startswith(BEFORE)] + kept
            old.previous_id = []
        ordered[msg.id] = old
    return ordered


def translations(catalog: Catalog) -> dict[str, str]:
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


# ------------------------------------------------------------------ validation
def glossary(root: Path = ROOT) -> list[tuple[str, str, bool]]:
    """(English term, Chinese term, strict) from locale/zh/glossary.po."""
    path = root / LOCALE / "glossary.po"
    if not path.exists():
        return []
    return [(m.id, m.string, any(c.startswith("strict") for c in m.auto_comments))
            for m in load(path) if m.id and m.string]


def _term_in(term: str, text: str) -> bool:
    return re.search(r"(?<![\w.])" + re.escape(term) + r"(?:s|es)?(?![\w(])",
                     prose(text), re.I) is not None


_MARKDOWN = mistune.create_markdown(plugins=["table", "strikethrough"])


def emphasis(text: str) -> tuple[int, int, int]:
    """How many bold and italic spans a Markdown text renders (nbconvert's renderer,
    mistune, which follows CommonMark's rules), and how many ``**`` it leaves unrendered;
    formulas and code left out."""
    html = _MARKDOWN(CODE.sub("C", MATH.sub("M", text)))
    return html.count("<strong>"), html.count("<em>"), html.count("**")


def english_run(text: str, words: int = 6) -> str | None:
    """A run of English words in a translation, outside quotations, parentheses, emphasis,
    formulas and code (where a title, a term or a quotation may stay English)."""
    text = re.sub(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’|（[^）]*）|\([^)]*\)|\*[^*]+\*|<[^>]+>", " ",
                  prose(text))
    found = re.search(r"(?:\b[A-Za-z][A-Za-z'’-]*[,;:]?\s+){" + str(words - 1) + r",}[A-Za-z]+",
                      text)
    return found.group(0) if found else None


def problems_of(msgid: str, msgstr: str, terms=(), kind: str = "notebook") -> list[str]:
    """What a translation lost or changed: formulas, code, numbers, links, placeholders,
    glossary terms; and whether it is Chinese at all."""
    out = []
    words = re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub(" ", prose(msgid)))
    if not CJK.search(msgstr) and msgstr != msgid and len(words) >= 2:
        out.append("no Chinese in the translation")
    prose_words = re.findall(r"(?<![\w.])[a-z]{3,}(?![\w(.])", PLACEHOLDER.sub(" ", prose(msgid)))
    if msgstr == msgid and len(prose_words) >= (4 if kind == "checks" else 2):
        out.append("left in English")  # (a name, a formula or code may stay as it is)
    elif english_run(msgstr):
        out.append(f"English left in the translation: {english_run(msgstr)!r}")
    if kind == "checks" and "}{" in msgid:
        out.append("adjacent placeholders in the English template: a message cannot be told "
                   "apart from the next (change ganlib/checks so that text separates them)")
    for name, pattern in (("formula", MATH), ("code span", CODE), ("link", URL),
                          ("placeholder", PLACEHOLDER if kind == "checks" else None)):
        if pattern is None:
            continue
        a, b = Counter(pattern.findall(msgid)), Counter(pattern.findall(msgstr))
        if a != b:
            out.append(f"{name}s differ: in the English only {sorted((a - b).elements())[:3]}, "
                       f"in the translation only {sorted((b - a).elements())[:3]}")
    a = sorted(n.replace("−", "-").replace(",", "") for n in NUMBER.findall(prose(msgid)))
    chinese = prose(msgstr)
    if re.search(MONTHS, msgid):  # "31 May 2017" is 2017 年 5 月 31 日: the month's number
        chinese = re.sub(r"(?<!\d)(1[0-2]|[1-9]) ?月", "月", chinese)
    b = sorted(n.replace("−", "-").replace(",", "") for n in NUMBER.findall(chinese))
    if a != b:
        out.append(f"numbers differ: English {sorted(set(a) - set(b))}, "
                   f"translation {sorted(set(b) - set(a))}")
    if kind == "notebook":
        a, b = emphasis(msgid), emphasis(msgstr)
        if b[0] < a[0] or b[1] < a[1] or b[2] > a[2]:
            out.append(f"bold/italics render differently: English {a[0]} bold, {a[1]} "
                       f"italic; translation {b[0]}, {b[1]} (CommonMark does not close "
                       "**粗体。** before a Chinese character: put the punctuation outside)")
    for en, zh, strict in terms:
        if strict and _term_in(en, msgid) and zh not in msgstr:
            out.append(f"glossary: '{en}' should be '{zh}'")
    return out


def catalogue_problems(path: Path, entries, root: Path = ROOT) -> list[str]:
    """Everything wrong with one catalogue on disk against the current English."""
    out = []
    if not path.exists():
        return [f"{rel(path, root)}: missing (run `make zh`)"]
    catalog = load(path)
    want = template_catalog(entries)
    want_ids = [m.id for m in want if m.id]
    have = {m.id: m for m in catalog if m.id}
    where = rel(path, root)
    kind = "checks" if path.parent.name == "checks" else "notebook"
    terms = glossary(root)
    missing = [i for i in want_ids if i not in have]
    if missing:
        out.append(f"{where}: {len(missing)} English text(s) not in the catalogue "
                   f"(the English changed: run `make zh`), first: {missing[0][:80]!r}")
    extra = [i for i in have if i not in set(want_ids)]
    if extra:
        out.append(f"{where}: {len(extra)} entr(ies) for text no longer in the English, "
                   f"first: {extra[0][:80]!r}")
    for msgid in want_ids:
        m = have.get(msgid)
        if m is None:
            continue
        if m.fuzzy:
            out.append(f"{where}: fuzzy (the English changed; review and remove the "
                       f"fuzzy flag): {msgid[:80]!r}")
        elif not m.string:
            out.append(f"{where}: untranslated: {msgid[:80]!r}")
        else:
            out += [f"{where}: {p}: {msgid[:80]!r}" for p in
                    problems_of(msgid, m.string, terms, kind)]
    if kind == "notebook" and path.parent.name == "notebooks":
        out += [f"{where}: {p}" for p in first_use_problems(catalog, want_ids, terms)]
    return out


def first_use_problems(catalog: Catalog, ids: list[str], terms) -> list[str]:
    """In a chapter, a glossary term's first Chinese use gives the English term beside it
    (headings aside: the chapter's title is as in docs/TRANSLATING.md)."""
    out = []
    for en, zh, strict in terms:
        if not strict:
            continue
        for msgid in ids:
            if msgid.startswith("#"):
                continue
            m = catalog.get(msgid)
            text = m.string.replace("*", "") if m is not None and m.string else ""
            if zh not in text:  # (emphasis aside: *条件* GAN is a use of 条件 GAN)
                continue
            if not re.search(re.escape(en), text, re.I):
                out.append(f"first use of {zh} without the English term '{en}': "
                           f"{msgid[:60]!r}")
            break
    return out


# ------------------------------------------------------------------ building
def zh_path(path: Path, root: Path = ROOT) -> Path:
    """notebooks/03_x.ipynb → notebooks/zh/03_x.ipynb; exercises/solutions/… likewise."""
    r = path.relative_to(root)
    if r.parts[0] == "notebooks":
        return root / "notebooks" / LANG / r.name
    if r.parts[:2] == ("exercises", "solutions"):
        return root / "exercises" / LANG / "solutions" / r.name
    if r.parts[0] == "exercises":
        return root / "exercises" / LANG / r.name
    raise ValueError(f"no Chinese counterpart for {r}")


def setup_cell_source_zh(root: Path = ROOT) -> str:
    """The Chinese notebooks' set-up cell: the English one's install, and the language of
    the checks' messages."""
    return (
        f"{SETUP_MARK} 在 Colab 上从课程仓库安装 ganlib；--no-deps 保留 Colab 自带的\n"
        "# torch 和小部件（ganlib 需要的其他包 Colab 都有）。GANLIB_LANG：检查用中文报告。\n"
        "import os\n"
        "import sys\n"
        f"{LANG_LINE}\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q --no-deps "ganlib @ git+{repository_url(root)}"'
    )


def relink(text: str, src: Path, dst: Path, root: Path = ROOT) -> str:
    """Re-point the relative links of ``src``'s text for a file written at ``dst``: to the
    Chinese counterpart of a course notebook or README, else to the same file."""
    def fix(match: re.Match) -> str:
        target = match.group(1)
        if re.match(r"[a-z]+:|#|/", target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = (src.parent / path).resolve()
        try:
            resolved.relative_to(root)
        except ValueError:
            return match.group(0)
        if resolved.suffix == ".ipynb" and resolved.parent.name != LANG:
            try:
                resolved = zh_path(resolved, root)
            except ValueError:
                pass
        elif resolved == root / "README.md":
            resolved = root / "README.zh.md"
        new = os.path.relpath(resolved, dst.parent).replace(os.sep, "/")
        return "](" + new + ("#" + anchor if anchor else "")
    return URL.sub(fix, text)


def verdict_lines(text: str, checks: _Catalogue) -> str:
    """A stream output with each check's ``✅``/``❌`` line as the Chinese checks print it."""
    return "\n".join(checks.verdict(line) for line in text.split("\n"))


NOTE = ("> 说明：图中的坐标轴、图例和程序打印的文字保留英文（并非每个平台都有能显示中文的字体），"
        "除准备单元格外，代码及其注释与英文版完全相同；检查（check）的结论用中文给出。")
NOTEBOOK_PATH = re.compile(r"`((?:notebooks|exercises(?:/solutions)?)/(?:\d\d_\w+\.ipynb)?)`")


def zh_code_paths(text: str, root: Path = ROOT) -> str:
    """A course notebook or folder named in code (`exercises/01_minimax.ipynb`,
    `exercises/solutions/`) becomes its Chinese counterpart's."""
    def fix(match: re.Match) -> str:
        path = root / match.group(1)
        if not path.exists():
            return match.group(0)
        if path.is_dir():
            parts = match.group(1).rstrip("/").split("/")
            return "`" + "/".join([parts[0], LANG, *parts[1:]]) + "/`"
        return f"`{rel(zh_path(path, root), root)}`"
    return NOTEBOOK_PATH.sub(fix, text)


def build_notebook(path: Path, table: dict[str, str], checks: _Catalogue, root: Path,
                   missing: list[str]) -> tuple[Path, str]:
    """The Chinese notebook of an English one, and where it goes: the note on what stays
    English goes at the end of its first Markdown cell."""
    nb = read(path)
    out = copy.deepcopy(nb)
    dst = zh_path(path, root)
    cells = code_cells(out)
    noted = False
    for cell in out.cells:
        if cell.cell_type == "markdown":
            text = translate_markdown(cell.source, table, missing)
            cell.source = zh_code_paths(relink(text, path, dst, root), root)
            if not noted:
                cell.source = cell.source.rstrip("\n") + "\n\n" + NOTE
                noted = True
            if "checksum" in cell.metadata.get("nbgrader", {}):
                # nbgrader scores an answer cell whose text still has the release's checksum
                # as unanswered: the checksum of the translated text
                cell.metadata.nbgrader.checksum = compute_checksum(cell)
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = verdict_lines(output.text, checks)
    if cells and cells[0][1].source.lstrip().startswith(SETUP_MARK):
        cells[0][1].source = setup_cell_source_zh(root)
    return dst, dumps(out)


BADGE_WORDS = {
    "note": "<!-- 由 `make zh` 根据 pyproject.toml 的 [project.urls] 生成；请在那里修改。 -->",
    "course": "在 Binder 上启动课程",
    "header": "| 章 | Colab | Binder |",
    "colab": "在 Colab 中打开",
    "binder": "在 Binder 上启动",
}


def readme_badges_zh(root: Path = ROOT) -> str:
    """README.zh.md's badge block: the English one's, for the Chinese chapters (their titles
    read from the generated notebooks)."""
    return readme_badges(root, [zh_path(p, root) for p in chapter_notebooks(root)],
                         BADGE_WORDS)


def build_readme(table: dict[str, str], root: Path, missing: list[str]) -> str:
    """README.zh.md: the README translated block by block, the language switch swapped, the
    badge block generated for the Chinese chapters (course paths in code stay: the README's
    speak of the English files and commands)."""
    body = readme_blocks_text((root / "README.md").read_text(encoding="utf-8"))
    text = translate_markdown(body, {**table, SWITCH[0]: SWITCH_TOKEN}, missing)
    text = relink(text, root / "README.md", root / "README.zh.md", root)
    return text.replace(SWITCH_TOKEN, SWITCH[1], 1).replace(README_START,
                                                           readme_badges_zh(root), 1)


def check_table(catalogs: list[Catalog]) -> dict[str, str]:
    """The check messages' finished translations (the first of a message in two modules)."""
    table: dict[str, str] = {}
    for catalog in catalogs:
        for msgid, msgstr in translations(catalog).items():
            table.setdefault(msgid, msgstr)
    return table


def mo_bytes(catalogs: list[Catalog]) -> bytes:
    """The check messages' finished translations, compiled for :mod:`ganlib.i18n`."""
    done = new_catalog()
    for msgid, msgstr in check_table(catalogs).items():
        done.add(msgid, msgstr)
    buf = io.BytesIO()
    write_mo(buf, done)
    return buf.getvalue()


def outputs(root: Path = ROOT) -> Iterator[tuple[Path, bytes, list[str]]]:
    """Every generated file: (path, content, English texts with no translation yet)."""
    src = sources(root)
    catalogues = {p: (load(p) if p.exists() else Catalog()) for p in src}
    check_catalogues = [c for p, c in catalogues.items() if p.parent.name == "checks"]
    checks = _Catalogue(check_table(check_catalogues))
    for path in chapter_notebooks(root):
        missing: list[str] = []
        table = translations(catalogues[root / LOCALE / "notebooks" / f"{path.stem}.po"])
        dst, text = build_notebook(path, table, checks, root, missing)
        yield dst, text.encode("utf-8"), missing
    for path in solution_notebooks(root) + student_notebooks(root):
        missing = []
        table = translations(catalogues[root / LOCALE / "exercises" / f"{path.stem}.po"])
        dst, text = build_notebook(path, table, checks, root, missing)
        yield dst, text.encode("utf-8"), missing
    missing = []
    readme = build_readme(translations(catalogues[root / LOCALE / "README.po"]), root, missing)
    yield root / "README.zh.md", readme.encode("utf-8"), missing
    yield root / MO, mo_bytes(check_catalogues), []


# ------------------------------------------------------------------ commands
def cmd_update(root: Path = ROOT) -> None:
    for path, entries in sources(root).items():
        catalog = updated(path, entries)
        text = po_text(catalog)
        if not path.exists() or path.read_bytes() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
            print(f"updated {rel(path, root)}")


def cmd_build(root: Path = ROOT) -> int:
    cmd_update(root)
    untranslated = 0
    for path, data, missing in outputs(root):
        untranslated += len(missing)
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {rel(path, root)}" + (f" ({len(missing)} paragraph(s) still "
                                                 "English)" if missing else ""))
    if untranslated:
        print(f"{untranslated} paragraph(s) have no translation yet: they stay English; "
              "`python tools/i18n.py --check` lists them")
    return 0


def problems(root: Path = ROOT) -> list[str]:
    """Everything the tests hold the edition to (see ``--check``)."""
    out = []
    src = sources(root)
    for path, entries in src.items():
        out += catalogue_problems(path, entries, root)
    seen: dict[str, tuple[str, Path]] = {}
    for path in src:
        if path.parent.name == "checks" and path.exists():
            for msgid, msgstr in translations(load(path)).items():
                first = seen.setdefault(msgid, (msgstr, path))
                if first[0] != msgstr:
                    out.append(f"{rel(path, root)}: {msgid[:60]!r} is translated differently "
                               f"in {rel(first[1], root)}: the compiled messages take one")
    for path, data, _ in outputs(root):
        if path.suffix == ".ipynb" and json.dumps(LANG_LINE)[1:-1].encode() not in data:
            out.append(f"{rel(path, root)}: no set-up cell, so its checks would answer in "
                       "English (make notebooks-setup adds one to the English notebook)")
        if not path.exists() or path.read_bytes() != data:
            out.append(f"{rel(path, root)}: out of date (run `make zh`; it is generated, so an "
                       "edit by hand is lost: change the English or the catalogue)")
    return out


def cmd_check(root: Path = ROOT) -> int:
    found = problems(root)
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)" if found else "the Chinese edition is up to date")
    return 1 if found else 0


SECTION = "=== "
BEFORE_MARK = "--- English before (this translation was made for it)"
EN_MARK = "<<< English"
ZH_MARK = ">>> 中文"


FUZZY = " (fuzzy: the English changed; review the Chinese, then delete this note)"


def cmd_export(po: Path, txt: Path) -> None:
    """Write a catalogue as text: per entry its number, a fuzzy entry's old English, the
    English, and the Chinese (empty when untranslated)."""
    catalog = load(po)
    lines = []
    entries = [m for m in catalog if m.id]
    for n, m in enumerate(entries):
        lines.append(f"{SECTION}{n}{FUZZY if m.fuzzy else ''}")
        before = [c[len(BEFORE):] for c in m.user_comments if c.startswith(BEFORE)]
        if m.fuzzy and before:
            lines += [BEFORE_MARK, *before]
        lines += [EN_MARK, m.id, ZH_MARK, m.string or "", ""]
    txt.parent.mkdir(parents=True, exist_ok=True)
    txt.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {txt}: {len(entries)} entries, "
          f"{sum(1 for m in entries if not m.string)} untranslated, "
          f"{sum(1 for m in entries if m.fuzzy)} fuzzy")


def cmd_import(po: Path, txt: Path, root: Path = ROOT) -> int:
    """Read an exported text file back: each section's Chinese goes to the entry whose
    English it carries (so a catalogue updated since the export still gets it right).

    A fuzzy entry stays fuzzy while its Chinese is unchanged and its section still carries
    the fuzzy note: importing an export untouched approves nothing."""
    catalog = load(po)
    text = txt.read_text(encoding="utf-8")
    terms = glossary(root)
    kind = "checks" if po.parent.name == "checks" else "notebook"
    count = bad = still = 0
    section = re.compile(r"^=== \d+([^\n]*)\n(?:" + re.escape(BEFORE_MARK) + r"\n.*?\n)?"
                         + re.escape(EN_MARK) + r"\n(.*?)\n" + re.escape(ZH_MARK)
                         + r"\n?(.*?)(?=^=== \d+|\Z)", re.S | re.M)
    for found in section.finditer(text):
        note, english, zh = found.group(1), found.group(2), found.group(3).strip("\n")
        if not zh.strip():
            continue
        m = catalog.get(english)
        if m is None:
            bad += 1
            print(f"not in the catalogue (its English changed? export again): {english[:70]!r}")
            continue
        if m.fuzzy and zh == m.string and "fuzzy" in note:
            still += 1
            continue
        m.string = zh
        m.flags.discard("fuzzy")
        m.user_comments = [c for c in m.user_comments if not c.startswith(BEFORE)]
        count += 1
        for p in problems_of(english, zh, terms, kind):
            bad += 1
            print(f"{p}: {english[:70]!r}")
    po.write_bytes(po_text(catalog))
    print(f"{po}: {count} translations read, {bad} problem(s)"
          + (f", {still} still fuzzy (Chinese unchanged, fuzzy note kept)" if still else ""))
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true")
    sub = parser.add_subparsers(dest="cmd")
    sub.add_parser("update")
    sub.add_parser("build")
    for name in ("export", "import"):
        p = sub.add_parser(name)
        p.add_argument("po", type=Path)
        p.add_argument("txt", type=Path)
    args = parser.parse_args(argv)
    if args.check:
        return cmd_check()
    if args.cmd == "update":
        cmd_update()
        return 0
    if args.cmd == "export":
        cmd_export(args.po, args.txt)
        return 0
    if args.cmd == "import":
        return cmd_import(args.po, args.txt)
    return cmd_build()


if __name__ == "__main__":
    sys.exit(main())
