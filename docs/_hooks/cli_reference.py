"""MkDocs hook: the command-line reference, written from ``anb.cli``'s own parser at build time,
so that the page cannot drift from what ``anb COMMAND --help`` prints."""

from __future__ import annotations

import argparse

PLACEHOLDER = "<!-- anb-cli-reference -->"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_reference() -> str:
    from anb.cli import build_parser

    parser = build_parser()
    sections = [f"```text\n{parser.format_help().rstrip()}\n```"]
    for name, command in sorted(_subcommands(parser).items()):
        sections.append(f"## `anb {name}`\n\n```text\n{command.format_help().rstrip()}\n```")
    return "\n\n".join(sections)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if PLACEHOLDER in markdown:
        return markdown.replace(PLACEHOLDER, cli_reference())
    return markdown
