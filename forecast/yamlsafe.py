"""Safe YAML reading for analysts' files.

PyYAML's ``safe_load`` already refuses ``!!python/...`` tags.  On top of it this loader

* reads ``1e-3`` and ``1e200`` as numbers (YAML 1.1 reads them as strings),
* reads every mapping key, and the values of the keys named in ``text_keys``, as the text
  written (YAML 1.1 would turn ``0b101`` into ``5``, ``yes`` into ``True``, ``1e3`` into
  ``1000.0``),
* refuses a key given twice in one mapping (PyYAML silently keeps the last one),
* refuses, before anything is built: files over :data:`MAX_BYTES`, nesting deeper than
  :data:`MAX_DEPTH`, and documents whose aliases expand past :data:`MAX_NODES` nodes or
  :data:`MAX_CHARS` characters ("billion laughs", also with long strings),
* reports every problem with its line number and, where it can, how to fix it (a tab used
  for indentation, a file that is not UTF-8, a control character).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import YamlError

__all__ = [
    "MAX_BYTES",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_NODES",
    "YamlError",
    "decode",
    "load_yaml",
    "parse_yaml",
    "read_bytes",
]

MAX_NODES = 100_000
"""Largest number of nodes a document may hold once its aliases are expanded."""

MAX_CHARS = 2_000_000
"""Largest number of characters of text a document may hold once its aliases are expanded."""

MAX_DEPTH = 20
"""Deepest nesting of mappings and lists (a scenario file needs 4)."""

MAX_BYTES = 1 << 20
"""Largest YAML file read (1 MiB; the longest bundled file is 4 KB)."""

_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_STANDARD = "tag:yaml.org,2002:"
_TEXT_TAGS = {f"{_STANDARD}{t}" for t in ("str", "int", "float", "bool", "timestamp")}
_NULL = f"{_STANDARD}null"


def read_bytes(path: str | Path, *, limit: int = MAX_BYTES) -> bytes:
    """Return the bytes of a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : str or Path
        The file. Anything but a regular file (a folder, a FIFO, a device) is refused
        without being opened.
    limit : int
        Largest size accepted, in bytes.

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    YamlError
        Not a regular file, or larger than ``limit``.

    Examples
    --------
    >>> len(read_bytes("priors.yaml")) > 0  # doctest: +SKIP
    True
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise YamlError("is not a regular file; not read")
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)  # a file that grows, or /proc, may not match its stat size
    if len(data) > limit:
        raise YamlError(f"is larger than {limit:,} bytes; refused (split it into smaller files)")
    return data


def decode(data: bytes) -> str:
    """UTF-8 text of ``data`` (a byte order mark dropped).

    Raises
    ------
    YamlError
        Naming the line and column of the first byte that is not UTF-8, and the fix.

    Examples
    --------
    >>> decode("caf\u00e9".encode())
    'caf\u00e9'
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(
            f"line {line}, column {column}: byte 0x{data[exc.start]:02x} is not UTF-8 text; "
            "save it as UTF-8",
            line=line,
        ) from None


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 floats, text keys, duplicate-key and nesting checks."""

    text_keys: frozenset[str] = frozenset()

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise YamlError(
                    f"nested deeper than {MAX_DEPTH} levels (line {line}); refused", line=line
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _key(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag in _TEXT_TAGS | {_NULL}:
            return node.value  # keys are names: text as written
        return self.construct_object(node, deep=True)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark
            )
        self._check_keys(node)
        self.flatten_mapping(node)  # merge keys (<<): the mapping's own keys win
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if isinstance(key, str) and key in self.text_keys:
                value = self._text(value_node, deep)
            else:
                value = self.construct_object(value_node, deep=deep)
            mapping[key] = value
        return mapping

    def _check_keys(self, node: yaml.MappingNode) -> None:
        """Every key a name (hashable), none given twice."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == f"{_STANDARD}merge":
                continue
            key = self._key(key_node)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found a key that is not a name (a list or a mapping)",
                    key_node.start_mark,
                ) from None
            line = key_node.start_mark.line + 1
            if key in seen:
                raise YamlError(
                    f"key '{_cut(key)}' is given twice (lines {seen[key]} and {line})", line=line
                )
            seen[key] = line

    def _text(self, node: yaml.Node, deep: bool) -> Any:
        """Return a free-text value: a plain scalar as written.

        A mapping of such (notes) likewise.
        """
        if isinstance(node, yaml.ScalarNode) and node.tag in _TEXT_TAGS:
            return node.value
        if isinstance(node, yaml.MappingNode) and all(
            isinstance(v, yaml.ScalarNode) and v.tag in _TEXT_TAGS for _, v in node.value
        ):
            self._check_keys(node)
            return {self._key(k): v.value for k, v in node.value}
        return self.construct_object(node, deep=deep)


# Replace the YAML 1.1 float resolver by one that also accepts 1e-3 (no dot), and keep
# dates as text so that a bad date (2022-02-30) is reported by validation, naming the field.
_DROPPED = {f"{_STANDARD}float", f"{_STANDARD}timestamp"}
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in _DROPPED]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(f"{_STANDARD}float", _FLOAT, list("-+0123456789."))


def _cut(value: Any, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _expanded(node: yaml.Node, memo: dict[int, tuple[int, int, int]], depth: int = 1):
    """``(nodes, characters, height)`` that ``node`` stands for once aliases are expanded.

    Memoised (linear time in the node graph); refuses a path through aliases deeper than
    :data:`MAX_DEPTH` and an alias inside the node it refers to.
    """
    key = id(node)
    if key in memo:
        nodes, chars, height = memo[key]
        if nodes < 0:
            raise YamlError(
                f"an alias refers to a node that contains it (line {node.start_mark.line + 1}); "
                "refused",
                line=node.start_mark.line + 1,
            )
    else:
        if depth > MAX_DEPTH:
            raise YamlError(f"aliases nest deeper than {MAX_DEPTH} levels; refused")
        memo[key] = (-1, 0, 0)  # in progress
        if isinstance(node, yaml.ScalarNode):
            nodes, chars, height = 1, len(node.value), 1
        else:
            children = (
                [c for pair in node.value for c in pair]
                if isinstance(node, yaml.MappingNode)
                else node.value
            )
            stats = [_expanded(c, memo, depth + 1) for c in children]
            nodes = 1 + sum(s[0] for s in stats)
            chars = sum(s[1] for s in stats)
            height = 1 + max((s[2] for s in stats), default=0)
        memo[key] = (nodes, chars, height)
    if depth - 1 + height > MAX_DEPTH:
        raise YamlError(f"aliases nest deeper than {MAX_DEPTH} levels; refused")
    return nodes, chars, height


def _tab_indented(text: str, upto: int | None) -> int | None:
    """First line (1-based, at most ``upto``) indented with a tab, or None."""
    for number, line in enumerate(text.splitlines(), start=1):
        if upto is not None and number > upto:
            return None
        if re.match(r"^ *\t", line) and line.strip():
            return number
    return None


def _refuse_duplicate_keys(root: yaml.Node) -> None:
    """Refuse keys given twice in a mapping, naming every one by its path (``likelihoods.a``).

    Each node is visited once (an alias's target is not walked again): linear in the file.
    """
    found: list[tuple[str, int, int]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack and len(found) < 20:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                child = f"{path}.{name}" if path else str(name)
                line = key_node.start_mark.line + 1
                if name is not None and key_node.tag != f"{_STANDARD}merge":
                    if name in lines:
                        found.append((_cut(child), lines[name], line))
                    lines.setdefault(name, line)
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            stack += [(v, f"{path}[{k}]") for k, v in enumerate(node.value)]
    if found:
        found.sort(key=lambda f: f[2])
        each = [f"'{key}' (lines {a} and {b})" for key, a, b in found]
        if len(each) == 1:
            key, a, b = found[0]
            message = f"key '{key}' is given twice (lines {a} and {b})"
        else:
            message = f"keys given twice: {', '.join(each)}"
        raise YamlError(message, line=found[0][2])


def parse_yaml(text: str, *, text_keys: frozenset[str] = frozenset()) -> Any:
    r"""Parse one YAML document safely.

    Parameters
    ----------
    text : str
        The document.
    text_keys : frozenset of str
        Keys whose plain scalar values are kept as the text written (``title: 0b101`` stays
        ``'0b101'``, ``title: yes`` stays ``'yes'``); an empty value or ``null`` is ``None``.

    Returns
    -------
    Any
        The document as plain Python objects (``None`` for an empty file); mapping keys are
        always the text written.

    Raises
    ------
    YamlError
        Syntax errors, duplicate keys, unsafe tags, control characters, too large, too deep
        or too many nodes or characters through aliases; the message says what, where and,
        where it can, how to fix it.

    Examples
    --------
    >>> parse_yaml("title: 0b101\nn: 0b101", text_keys=frozenset({"title"}))
    {'title': '0b101', 'n': 5}
    """
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text) from None
    loader.text_keys = text_keys
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        nodes, chars, _ = _expanded(node, {})
        if nodes > MAX_NODES:
            raise YamlError(
                f"expands to {nodes:,} nodes through aliases (limit {MAX_NODES:,}); refused"
            )
        if chars > MAX_CHARS:
            raise YamlError(
                f"expands to {chars:,} characters through aliases (limit {MAX_CHARS:,}); refused"
            )
        _refuse_duplicate_keys(node)
        return loader.construct_document(node)
    except YamlError:
        raise
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text) from None
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = exc.problem or str(exc)
        if "could not determine a constructor" in problem:
            problem = f"tag {problem.split('tag', 1)[-1].strip()} is not allowed (only plain YAML)"
        raise YamlError(f"{_cut(problem, 200)} (line {line})", line=line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        tab = _tab_indented(text, line)
        if tab is not None or "'\\t'" in str(exc.problem):
            tab = tab or line
            raise YamlError(
                f"line {tab}: YAML does not allow tabs for indentation; use spaces", line=tab
            ) from None
        where = f" (line {line}, column {mark.column + 1})" if mark else ""
        raise YamlError(
            f"YAML syntax error: {_cut(exc.problem or exc.context, 200)}{where}", line=line
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {_cut(exc, 200)}") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of more than 4,300 digits
        raise YamlError(f"a value cannot be read: {_cut(exc, 200)}") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path, *, text_keys: frozenset[str] = frozenset()) -> Any:
    """Read one YAML file safely: :func:`read_bytes`, :func:`decode`, then :func:`parse_yaml`.

    Examples
    --------
    >>> load_yaml("priors.yaml")["outcome"]  # doctest: +SKIP
    'invasion'
    """
    return parse_yaml(decode(read_bytes(path)), text_keys=text_keys)


def _reader_error(exc: yaml.reader.ReaderError, text: str) -> YamlError:
    """Return a character YAML does not accept (a control character, NUL): where and which."""
    line = text.count("\n", 0, exc.position) + 1
    character = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
    return YamlError(
        f"line {line}: the control character U+{character:04X} is not allowed in YAML; remove it",
        line=line,
    )
