"""The emulator's reranking model: a deterministic relevance score for a query and a document.

This is the emulator's model, not Jina's. It rewards two things a reader can check by eye:
- the query's content words found in the document (crudely stemmed; CJK characters and their
  pairs for Chinese), as a share of the query's;
- when the query is a question, content of the kind its question word asks for: a year or a
  date for "when" / "什么时候", a number for "how many" / "多少", a name for "who" / "谁", a
  place for "where" / "哪里", a reason for "why" / "为什么", a method for "how" / "如何", a
  definition for "what is" / "什么是". That part counts only as far as the document is on the
  query's topic, and never for a document that is itself a question.

So a document that answers the question outranks one that merely repeats its words: the demo
the Reranking page shows. Scores are in [0, 1], depend only on the query and the document (the
emulator scores every model pointwise), and carry a tiny hash-based tie-breaker.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from . import tokens

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"

_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("time", r"\bwhen\b|\bwhat year\b|\bwhich year\b|什么时候|何时|哪一?年|几时"),
        (
            "number",
            r"\bhow (?:many|much|long|old|far|big|tall)\b|多少|几[个岁天年次]|多[长大高远久]",
        ),
        ("person", r"\bwho\b|\bwhom\b|谁"),
        ("place", r"\bwhere\b|哪里|哪儿|在哪"),
        ("reason", r"\bwhy\b|为什么|为何"),
        ("method", r"\bhow (?:do|does|can|should|to|is|are)\b|如何|怎么|怎样"),
        ("definition", r"\bwhat (?:is|are|does)\b|什么是|是什么"),
    )
)
"""Question words and the kind of answer each asks for."""

_ANSWERS: dict[str, re.Pattern[str]] = {
    "time": re.compile(
        r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b(?:january|february|march|april|june|july|august"
        r"|september|october|november|december)\b|\bcentury\b|\d+\s*(?:年|世纪)",
        re.IGNORECASE,
    ),
    "number": re.compile(
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred"
        r"|thousand|million)\b|[一二三四五六七八九十百千万亿]+[个名位米吨元天年次人]",
        re.IGNORECASE,
    ),
    "person": re.compile(rf"\b[A-Z][a-z]+ [A-Z][a-z]+\b|\bby [A-Z][a-z]+|由[{_CJK}]{{2,4}}"),
    "place": re.compile(
        rf"\b(?:in|at|near) (?:the )?[A-Z][a-z]+|位于|坐落|在[{_CJK}]{{1,4}}[市省国区县]"
    ),
    "reason": re.compile(r"\bbecause\b|\bsince\b|\bdue to\b|\bso that\b|因为|由于|为了|所以"),
    "method": re.compile(
        r"\b(?:open|click|choose|select|run|use|set|press|go to|install)\b|\bby \w+ing\b"
        r"|打开|点击|选择|运行|使用|设置|通过|先|然后",
        re.IGNORECASE,
    ),
    "definition": re.compile(
        r"\b(?:is|are) (?:a|an|the)\b|\bmeans\b|\brefers to\b|是一种|是指|指的是"
    ),
}
"""What an answer of each kind looks like in a document."""

_IS_CJK = re.compile(f"[{_CJK}]")
_IMAGE_WORDS = re.compile(r"[-_./]+")


def question_kinds(query: str) -> frozenset[str]:
    """The kinds of answer `query` asks for (empty for a query that is not a question)."""
    return frozenset(kind for kind, cue in _CUES if cue.search(query))


@lru_cache(maxsize=100_000)
def read(text: str) -> tuple[int, frozenset[str]]:
    """A text's token count (as `tokens.count_tokens`) and its stemmed content words: no stop
    words, no question words, no punctuation; CJK characters on their own and in pairs. Cached:
    the candidates of one collection come back for many queries."""
    analysis = tokens.analyze(text)
    words = set()
    for piece in analysis.pieces:
        key, weight, _ = tokens.feature(piece)
        if weight == 1.0 and key not in ("when", "where", "who", "why", "what", "how", "which"):
            words.add(key)
    words.update(analysis.extra.keys() - {"<time>", "<place>", "<person>", "<number>"})
    return analysis.tokens, frozenset(words)


def content_words(text: str) -> frozenset[str]:
    """The stemmed content words of a text (see `read`)."""
    return read(text)[1]


def image_text(reference: str) -> str:
    """The words an image stands for in the emulator: those of its URL's file name (pixels are
    not read); nothing for base64 data."""
    if not reference.startswith(("http://", "https://")):
        return ""
    name = unquote(urlsplit(reference).path.rsplit("/", 1)[-1])
    name = name.rsplit(".", 1)[0] if "." in name else name
    return _IMAGE_WORDS.sub(" ", name)


@lru_cache(maxsize=200_000)
def _answers(kind: str, document: str) -> bool:
    """True when `document` holds an answer of `kind` (and is not itself a question)."""
    return not document.rstrip().endswith(("?", "？")) and bool(_ANSWERS[kind].search(document))


class Scorer:
    """The emulator's relevance model for one query, applied to each document in turn."""

    def __init__(self, query: str) -> None:
        self.query = query
        topic = query
        for _, cue in _CUES:  # Chinese question words are characters the overlap would count
            topic = cue.sub(lambda m: " " if _IS_CJK.search(m.group()) else m.group(), topic)
        self.wanted = content_words(topic)
        self.kinds = sorted(question_kinds(query))

    def __call__(self, document: str) -> float:
        """The relevance of `document` (text) to the query, in [0, 1]: higher is better."""
        wanted = self.wanted
        overlap = len(wanted & read(document)[1]) / len(wanted) if wanted else 0.0
        jitter = 0.02 * zlib.crc32(f"{self.query}\x00{document}".encode()) / 2**32
        if not self.kinds:
            return round(0.96 * overlap + jitter, 6)
        answers = False
        for kind in self.kinds:
            if _answers(kind, document):
                answers = True
                break
        topical = 4.0 * overlap if overlap < 0.25 else 1.0
        return round(0.36 * overlap + 0.6 * topical * answers + jitter, 6)


def score(query: str, document: str) -> float:
    """The emulator's relevance of `document` (text) to `query`, in [0, 1]: higher is better."""
    return Scorer(query)(document)
