"""A small Dockerfile and .dockerignore reader: enough to lint our image without a Docker engine.

It follows the Dockerfile reference for what our file uses: parser directives, comments, line
continuations (``\\``), exec (JSON) and shell forms, ``--flag=value`` options, and stages
(``FROM image AS name``). `ignored` applies .dockerignore rules as the builder does: patterns in
order, ``!`` re-includes, the last matching rule wins, and a rule matching a directory covers
everything below it.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    flags: dict[str, str]
    args: list[str]
    exec_form: bool
    line: int


@dataclass(slots=True)
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join continuation lines; drop comments and parser directives (``# syntax=...``)."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue  # comments may sit inside a continued instruction too
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        lines.append((start, " ".join(p for p in pending if p)))
        pending = []
    if pending:
        raise ValueError(f"line {start}: the file ends inside a continued instruction")
    return lines


def _instruction(number: int, line: str) -> Instruction:
    keyword, _, rest = line.partition(" ")
    flags: dict[str, str] = {}
    rest = rest.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name, _, value = flag[2:].partition("=")
        flags[name] = value
        rest = rest.strip()
    if rest.startswith("["):
        try:
            args = json.loads(rest)
        except json.JSONDecodeError:
            args = None
        if isinstance(args, list) and all(isinstance(a, str) for a in args):
            return Instruction(keyword.upper(), flags, args, True, number)
    return Instruction(keyword.upper(), flags, shlex.split(rest, posix=True), False, number)


def parse(text: str) -> list[Stage]:
    """The stages of a Dockerfile, in order; instructions before the first FROM are refused."""
    stages: list[Stage] = []
    for number, line in _logical_lines(text):
        instruction = _instruction(number, line)
        if instruction.keyword == "FROM":
            args = instruction.args
            name = args[2] if len(args) == 3 and args[1].upper() == "AS" else None
            stages.append(Stage(image=args[0], name=name))
        elif instruction.keyword == "ARG" and not stages:
            continue  # global build arguments may precede FROM
        elif not stages:
            raise ValueError(f"line {number}: {instruction.keyword} before the first FROM")
        else:
            stages[-1].instructions.append(instruction)
    return stages


def _pattern(rule: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(rule):
        if rule.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif rule.startswith("**", i):
            out, i = out + ".*", i + 2
        elif rule[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif rule[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(rule[i]), i + 1
    return re.compile(out)


def ignored(path: str, rules_text: str) -> bool:
    """Whether ``path`` (relative to the context) is left out of the build context."""
    rules = []
    for raw in rules_text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        rule = str(PurePosixPath(line.lstrip("!").strip().strip("/")))
        rules.append((negate, _pattern(rule)))
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negate, pattern in rules:
        if any(pattern.fullmatch(p) for p in prefixes):
            excluded = not negate
    return excluded
