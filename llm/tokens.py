"""Approximate token counts that never download anything.

Exact counts need the model's tokenizer, and tiktoken fetches its BPE tables from
the network on first use, which an offline tool must not do. Budgets only need a
count that is close and errs high, so this module splits text the way GPT-style
pre-tokenisers do (words with one leading space or symbol, digit groups, symbol
runs, whitespace runs) and charges each piece what such tokenisers typically
charge: one token for a short word, more for long ones. On Python source this
lands within about 15% of cl100k and o200k counts, usually above them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from langchain_core.messages import BaseMessage

_PIECES = re.compile(
    r"""[^\S\n]?[^\W\d_]+      # a word, with one leading space
      | _[^\W\d_]*             # snake_case parts glue to their underscore
      | \d{1,3}                # digits go in groups of three
      | [^\s\w]+               # a run of symbols
      | \n[^\S\n]*             # a newline and the indentation after it
      | [^\S\n]+               # other whitespace
    """,
    re.VERBOSE,
)
_WORD_CHARS = 6
_SYMBOL_CHARS = 2
MESSAGE_OVERHEAD = 4
"""Tokens chat formats add around each message (role, separators)."""


def _cost(piece: str) -> int:
    stripped = piece.strip()
    if not stripped:
        return 1
    if stripped[0].isalpha() or stripped[0] == "_":
        return max(1, -(-len(stripped) // _WORD_CHARS))
    if stripped[0].isdigit():
        return 1
    return max(1, -(-len(stripped) // _SYMBOL_CHARS))


def count_tokens(text: str) -> int:
    """Return an approximate number of tokens in text."""
    counted = 0
    total = 0
    for match in _PIECES.finditer(text):
        total += _cost(match.group())
        counted += len(match.group())
    # Characters no pattern covers (rare unicode) cost about one token each.
    return total + max(0, len(text) - counted)


def count_messages(messages: Iterable[BaseMessage]) -> int:
    """Return an approximate number of prompt tokens for chat messages."""
    total = 3
    for message in messages:
        content = message.content
        text = content if isinstance(content, str) else str(content)
        total += MESSAGE_OVERHEAD + count_tokens(text)
    return total
