import re

from chroma_jina import JinaEmbeddingFunction, estimate_tokens


def sentences(text: str) -> list[str]:
    """在句末的“。”“！”“？”之后断句，连用的如“？！”算一处。
    标点和紧跟其后的后引号、后括号都留在所属的句子里。"""
    return [s for s in re.findall(r"[^。！？]*(?:[。！？]+[”\u2019」』）]*|$)", text) if s.strip()]


def chunks(text: str, max_chars: int) -> list[str]:
    """把整句拼成不超过 max_chars 个字的片段；单句超长时按长度硬切。"""
    found: list[str] = []
    current = ""
    for sentence in sentences(text):
        for start in range(0, len(sentence), max_chars):  # (1)!
            piece = sentence[start : start + max_chars]
            if current and len(current) + len(piece) > max_chars:
                found.append(current)
                current = ""
            current += piece
    if current:
        found.append(current)
    return found


article = (
    "杭州是浙江省的省会。这座城市以西湖闻名，每年吸引大量游客。"
    "湖边景色美得像一幅画！西湖在 2011 年列入世界遗产名录。"
    "你知道这座城市的别称吗？人们常叫它“人间天堂”。"
)
pieces = chunks(article, max_chars=30)
print([len(piece) for piece in pieces])
#> [29, 30, 24]
print(sum(estimate_tokens(piece) for piece in pieces))  # (2)!
#> 84

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3", task="retrieval.passage", late_chunking=True
)
vectors = jina(pieces)  # (3)!
print(len(vectors), jina.last_usage.requests)
#> 3 1
