"""A tokenizer approximation: token counts close to Jina's, and the lexical features of a text.

Counts include the two special tokens every input gets (`"shape"` is 3, `"Hello world"` is 4,
as in the real 2023 captures). A word of up to 8 characters counts one token, a longer word
one more per 4 characters; a run of digits one token per 3 digits; each punctuation mark and
each CJK character one token.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

SPECIAL_TOKENS = 2

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_PIECE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+|[^\w\s]|_", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")
_PUNCT = string.punctuation.encode()
_SEPARATORS = _PUNCT + b"\t\n\r\x0b\x0c"
_PUNCT_TO_SPACE = bytes.maketrans(_SEPARATORS, b" " * len(_SEPARATORS))

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "的",
        "了",
        "是",
        "在",
        "和",
        "有",
        "我",
        "也",
        "不",
        "就",
        "都",
        "而",
        "及",
        "与",
        "这",
        "那",
        "之",
        "其",
        "为",
        "以",
        "于",
        "上",
        "中",
        "个",
        "吗",
        "呢",
        "吧",
        "啊",
        "什",
        "么",
        "哪",
        "谁",
    ]
)
"""Words that carry little meaning; they weigh a tenth of a content word in the vectors."""

QUESTION_CUES = {
    "when": "<time>",
    "what year": "<time>",
    "how long": "<time>",
    "where": "<place>",
    "who": "<person>",
    "how many": "<number>",
    "how much": "<number>",
    "什么时候": "<time>",
    "何时": "<time>",
    "哪一年": "<time>",
    "哪里": "<place>",
    "谁": "<person>",
    "多少": "<number>",
}
"""Question words and the kind of answer they ask for."""

_TIME_WORDS = frozenset(
    [
        "century",
        "year",
        "decade",
        "ago",
        "since",
        "date",
        "era",
        "ancient",
        "medieval",
        "bc",
        "ad",
        "年",  # Chinese text is split into single characters, so only one-character words match
    ]
)
_WORD_CUES = {c.encode(): k for c, k in QUESTION_CUES.items() if c.isalpha() and c.isascii()}
_PHRASE_CUES = {c: k for c, k in QUESTION_CUES.items() if " " in c}
_CJK_CUES = {c: k for c, k in QUESTION_CUES.items() if not c.isascii()}


@dataclass(frozen=True)
class Analysis:
    """What the emulator needs to know about one text."""

    pieces: list[bytes]
    """Lower-cased pieces (words, numbers, CJK characters), in order."""
    extra: dict[str, float]
    """Extra features: CJK character pairs and answer kinds a question asks for."""
    tokens: int
    """Approximate token count, special tokens included."""


def piece_tokens(piece: bytes) -> int:
    """Tokens one piece costs."""
    if piece.isdigit():
        return (len(piece) + 2) // 3
    chars = len(piece.decode(errors="replace"))
    return 1 if chars <= 8 else 1 + (chars - 5) // 4


class _Costs(dict[bytes, int]):
    """piece -> tokens, filled on first sight (a plain dict look-up is the hot path)."""

    def __missing__(self, piece: bytes) -> int:
        if len(self) > 500_000:
            self.clear()
        cost = self[piece] = piece_tokens(piece)
        return cost


_COSTS = _Costs()


def analyze(text: str) -> Analysis:
    """Pieces, extra features and token count of one text."""
    low = text.lower()
    if low.isascii():
        raw = low.encode()
        spaced = raw.translate(_PUNCT_TO_SPACE)
        pieces = spaced.split()
        marks = len(raw) - len(raw.translate(None, _PUNCT))
        extra: dict[str, float] = {}
        padded = b" " + spaced + b" "
    else:
        found = _PIECE.findall(low)
        marks = 0
        pieces = [p.encode() for p in found]
        padded = b" " + b" ".join(pieces) + b" "
        extra = {
            a + b: 0.5
            for a, b in pairwise(found)
            if len(a) == 1 == len(b) and "\u3040" <= a <= "\ufaff" and "\u3040" <= b <= "\ufaff"
        }
    # answer kinds a question asks for; weight 0.0 means "set by the task"
    for word, kind in _WORD_CUES.items():
        if b" " + word + b" " in padded:
            extra[kind] = 0.0
    if b" how " in padded or b" what " in padded:
        for phrase, kind in _PHRASE_CUES.items():
            if re.search(rf"\b{phrase}\b", low):
                extra[kind] = 0.0
    if not low.isascii():
        for cjk, kind in _CJK_CUES.items():
            if cjk in low:
                extra[kind] = 0.0
    count = SPECIAL_TOKENS + marks + sum(map(_COSTS.__getitem__, pieces))
    return Analysis(pieces, extra, count)


def count_tokens(text: str) -> int:
    """Approximate token count of one input, special tokens included."""
    return analyze(text).tokens


def truncate(text: str, limit: int) -> str:
    """The longest prefix of `text` whose count stays within `limit` tokens."""
    budget = limit - SPECIAL_TOKENS
    end = 0
    for match in _PIECE.finditer(text):
        budget -= _COSTS[match.group().lower().encode()]
        if budget < 0:
            break
        end = match.end()
    return text[:end]


@lru_cache(maxsize=200_000)
def feature(piece: bytes) -> tuple[str, float, str | None]:
    """The lexical feature of one piece: (key, weight, kind of answer it can be, if any).

    Keys are crudely stemmed so that "centuries" meets "century".
    """
    word = piece.decode(errors="replace")
    word = word.removesuffix("'s")
    if len(word) > 4 and not _IS_CJK.match(word):
        for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: len(word) - len(suffix)] + repl
                break
    if not word.isalnum():
        weight = 0.05
    elif word in STOPWORDS or (len(word) <= 2 and word.isalpha() and word.isascii()):
        weight = 0.1
    else:
        weight = 1.0
    kind = None
    if word.isdigit():
        kind = "<time>" if len(word) in (3, 4) else "<number>"
    elif word in _TIME_WORDS or re.fullmatch(r"\d+(st|nd|rd|th)", word):
        kind = "<time>" if word in _TIME_WORDS else "<number>"
    return word, weight, kind


def is_cjk(piece: str) -> bool:
    """True for a single CJK character piece."""
    return len(piece) == 1 and _IS_CJK.match(piece) is not None
