"""Safe YAML reading for analysts' files.

PyYAML's ``safe_load`` already refuses ``!!python/...`` tags.  On top of it this loader

* reads ``1e-3`` and ``1e200`` as numbers (YAML 1.1 reads them as strings),
* refuses a key given twice in one mapping (PyYAML silently keeps the last one),
* refuses documents whose aliases expand to more than :data:`MAX_NODES` nodes
  ("billion laughs"), measured on the node graph before anything is expanded,
* reports every problem with its line number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

__all__ = ["MAX_NODES", "YamlError", "load_yaml"]

MAX_NODES = 100_000
"""Largest number of nodes a document may hold once its aliases are expanded."""

_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class YamlError(ValueError):
    """A YAML file that cannot be read; ``line`` is 1-based or ``None``."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 floats and duplicate-key detection."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # PyYAML raises its own error for unhashable keys below
            line = key_node.start_mark.line + 1
            if key in seen:
                raise YamlError(
                    f"key '{key}' is given twice (lines {seen[key]} and {line})", line=line
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


# Replace the YAML 1.1 float resolver by one that also accepts 1e-3 (no dot), and keep
# dates as text so that a bad date (2022-02-30) is reported by validation, naming the field.
_DROPPED = {"tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in _DROPPED]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Number of nodes ``node`` stands for once aliases are expanded (memoised, linear time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against recursive aliases
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = size
    return size


def load_yaml(path: str | Path) -> Any:
    """Read one YAML document safely.

    Parameters
    ----------
    path : str or Path
        The file to read (UTF-8).

    Returns
    -------
    Any
        The document as plain Python objects (``None`` for an empty file).

    Raises
    ------
    YamlError
        Syntax errors, duplicate keys, unsafe tags or a document that expands past
        :data:`MAX_NODES` nodes; the message says what and where.

    Examples
    --------
    >>> load_yaml("priors.yaml")["outcome"]  # doctest: +SKIP
    'invasion'
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_NODES:
            raise YamlError(
                f"expands to {size:,} nodes through aliases (limit {MAX_NODES:,}); refused"
            )
        return loader.construct_document(node)
    except YamlError:
        raise
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = exc.problem or str(exc)
        if "could not determine a constructor" in problem:
            problem = f"tag {problem.split('tag', 1)[-1].strip()} is not allowed (only plain YAML)"
        raise YamlError(f"{problem} (line {line})", line=line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f" (line {line}, column {mark.column + 1})" if mark else ""
        raise YamlError(
            f"YAML syntax error: {exc.problem or exc.context}{where}", line=line
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}") from None
    finally:
        loader.dispose()
