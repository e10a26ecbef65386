"""The docstrings of the API reference (docs/api/*.md) are numpydoc that renders and says what it must.

The objects checked are read from the pages' `::: identifier` directives and their `members:`
options, so a page that shows a new object has it checked here too. For each object: its
docstring parses in numpy style without a griffe warning and holds no Sphinx role or reST
double backtick; a function's Parameters section names exactly its parameters (but `self`/`cls`,
and `*args`/`**kwargs` optionally) and it has a Returns or Yields section unless it returns
`None`; a class documents every constructor parameter (under Parameters, or under Attributes for
a dataclass's fields), and its public methods and properties are checked as functions are.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

griffe = pytest.importorskip("griffe")

REPO = Path(__file__).resolve().parents[1]
API_PAGES = REPO / "docs" / "api"
PACKAGES = ("anb", "configurationspaces")
STYLE = "numpy"
# What must not survive in a Markdown docstring: Sphinx roles and reST inline literals.
SPHINX_LEFTOVER = re.compile(r":(?:mod|class|func|meth|data|attr|exc|obj):`|(?<!`)``(?!`)")
DIRECTIVE = re.compile(r"^:::\s+(\S+)\s*$")


def page_directives() -> list[tuple[str, str, list[str] | bool | None]]:
    """`(page, identifier, members)` for every `:::` directive of the API pages; `members` is the
    directive's `members:` option (a list of names, or a bool) or None without one."""
    directives = []
    for page in sorted(API_PAGES.glob("*.md")):
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            match = DIRECTIVE.match(line)
            if not match:
                continue
            members = None
            for option in lines[i + 1:]:
                if option.strip() and not option.startswith((" ", "\t")):
                    break
                found = re.match(r"\s+members:\s*(.+?)\s*$", option)
                if found:
                    members = _members_option(found.group(1), page, match.group(1))
            directives.append((page.name, match.group(1), members))
    return directives


def _members_option(value: str, page: Path, identifier: str) -> list[str] | bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.startswith("[") and value.endswith("]"):
        return [name.strip().strip("'\"") for name in value[1:-1].split(",") if name.strip()]
    raise AssertionError(f"{page.name}: the members option of {identifier} is neither a list nor a bool: {value!r}")


class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def collection():
    loader = griffe.GriffeLoader(search_paths=[str(REPO)], docstring_parser=STYLE)
    for package in PACKAGES:
        loader.load(package)
    loader.resolve_aliases(implicit=False, external=False)
    return loader.modules_collection


def _final(obj):
    return obj.final_target if obj.is_alias else obj


def _is_public(name: str) -> bool:
    return not name.startswith("_")


def _is_property(obj) -> bool:
    return obj.is_attribute and "property" in obj.labels


def rendered_objects(collection, identifier: str, members) -> list:
    """The object of a directive and the members the page shows of it (recursively for classes)."""
    root = collection[identifier]
    objects = [root]
    target = _final(root)
    if target.is_module and members is not False:
        if isinstance(members, list):
            missing = [name for name in members if name not in target.members]
            assert not missing, f"{identifier}: the page lists members it does not have: {missing}"
            chosen = [target.members[name] for name in members]
        else:
            # What mkdocstrings shows of a module: public names defined there, or imported and
            # exported; a function or class without a docstring is a gap, a bare constant is not shown.
            chosen = [member for name, member in target.members.items()
                      if _is_public(name) and (not member.is_alias or member.is_public)
                      and not _final(member).is_module
                      and (not _final(member).is_attribute or _final(member).docstring is not None)]
        for member in chosen:
            objects.append(member)
            if _final(member).is_class:
                objects.extend(_class_members(_final(member)))
    elif target.is_class:
        objects.extend(_class_members(target))
    return objects


def _class_members(cls) -> list:
    return [member for name, member in cls.members.items()
            if _is_public(name) and not member.is_alias and (member.is_function or _is_property(member))]


def parse(obj) -> tuple[list, list[str]]:
    """The docstring's sections and the warnings griffe logged while parsing it."""
    handler = _Warnings()
    logger = logging.getLogger("griffe")
    logger.addHandler(handler)
    try:
        sections = obj.docstring.parse(STYLE)
    finally:
        logger.removeHandler(handler)
    return sections, handler.messages


def _names(sections, kind: str) -> list[str]:
    names = []
    for section in sections:
        if section.kind.value == kind:
            names.extend(item.name.lstrip("*") for item in section.value)
    return names


def _kinds(sections) -> set[str]:
    return {section.kind.value for section in sections}


def _signature_parameters(function) -> tuple[list[str], set[str]]:
    """The parameters a docstring must name, and the variadic ones it may name."""
    required, optional = [], set()
    for parameter in function.parameters:
        if parameter.name in ("self", "cls"):
            continue
        if parameter.kind.value in ("variadic positional", "variadic keyword"):
            optional.add(parameter.name)
        else:
            required.append(parameter.name)
    return required, optional


def problems_of(obj) -> list[str]:
    """What is wrong with one object's docstring (an empty list when nothing is)."""
    target = _final(obj)
    if target.docstring is None or not target.docstring.value.strip():
        if target.is_module or target.is_attribute and not _is_property(target):
            return ["has no docstring"]
        return ["has no docstring (mkdocstrings leaves it out of the page)"]
    problems = []
    sections, warnings = parse(target)
    problems += [f"griffe warns: {message}" for message in warnings]
    leftover = sorted(set(SPHINX_LEFTOVER.findall(target.docstring.value)))
    if leftover:
        problems.append(f"holds Sphinx/reST markup {leftover}; use Markdown: `code` and [`name`][path] cross-references")
    if target.is_function:
        problems += _function_problems(target, sections)
    elif target.is_class:
        problems += _class_problems(target, sections)
    return problems


def _function_problems(function, sections) -> list[str]:
    problems = []
    required, optional = _signature_parameters(function)
    documented = _names(sections, "parameters")
    missing = [name for name in required if name not in documented]
    unknown = [name for name in documented if name not in required and name not in optional]
    if required and "parameters" not in _kinds(sections):
        problems.append(f"has no Parameters section (its parameters: {required})")
    elif missing:
        problems.append(f"its Parameters section does not name {missing}")
    if unknown:
        problems.append(f"its Parameters section names {unknown}, which are not parameters of the signature")
    repeated = sorted({name for name in documented if documented.count(name) > 1})
    if repeated:
        problems.append(f"its Parameters section names {repeated} more than once")
    returns_none = function.returns is not None and str(function.returns) == "None"
    if not returns_none and not _kinds(sections) & {"returns", "yields"}:
        problems.append("has no Returns or Yields section (annotate it `-> None` if it returns nothing)")
    return problems


def _class_problems(cls, sections) -> list[str]:
    required, optional = _signature_parameters(cls)
    parameters = _names(sections, "parameters")
    attributes = _names(sections, "attributes")
    problems = []
    missing = [name for name in required if name not in parameters and name not in attributes]
    if missing:
        problems.append(f"does not document the constructor parameter(s) {missing} (Parameters, or Attributes for "
                        f"a dataclass's fields)")
    unknown = [name for name in parameters if name not in required and name not in optional]
    if unknown:
        problems.append(f"its Parameters section names {unknown}, which the constructor does not take")
    return problems


DIRECTIVES = page_directives()


def test_the_pages_have_directives():
    assert len(DIRECTIVES) >= 20, f"found only {len(DIRECTIVES)} ::: directives in {API_PAGES}"


@pytest.mark.parametrize(("page", "identifier", "members"), DIRECTIVES,
                         ids=[f"{page}:{identifier}" for page, identifier, _ in DIRECTIVES])
def test_the_docstrings_of_a_directive(collection, page, identifier, members):
    report = []
    for obj in rendered_objects(collection, identifier, members):
        report += [f"{obj.path}: {problem}" for problem in problems_of(obj)]
    assert not report, f"{page}, ::: {identifier}:\n" + "\n".join(report)


def test_a_broken_docstring_is_caught(collection):
    function = _final(collection["anb.search.tasks.get_task"])
    good = function.docstring
    try:
        function.docstring = griffe.Docstring("The task.\n\nParameters\n----------\nname : str\n    Its name.\n"
                                              "unknown : int\n    Not a parameter.\n", parent=function)
        problems = problems_of(function)
    finally:
        function.docstring = good
    assert any("'unknown' does not appear" in p for p in problems), problems
    assert any("does not name ['budget', 'seeds']" in p for p in problems), problems
    assert any("no Returns or Yields" in p for p in problems), problems
