import re

import numpy as np

from chroma_jina import JinaEmbeddingFunction


def embed_long_document(jina, chunks, window=6, overlap=2):  # (1)!
    """按重叠窗口对 `chunks` 做延迟分块。每个窗口最多含 `window` 个片段。

    后一个窗口的开头重复前一个窗口末尾的 `overlap` 个片段。这些片段只当上下文用。
    每个窗口只保留新片段的向量。

    返回所有片段的向量以及每个窗口的片段下标范围 (first, last + 1)。
    """
    if not 0 <= overlap < window:
        raise ValueError(f"overlap must be 0 to window - 1, got {overlap} for window {window}")
    vectors, windows = [], []
    start = 0
    while len(vectors) < len(chunks):
        embedded = jina(chunks[start : start + window])  # (2)!
        already_done = len(vectors) - start
        vectors.extend(embedded[already_done:])
        windows.append((start, min(start + window, len(chunks))))
        start += window - overlap
    return vectors, windows


def sentences(text: str) -> list[str]:
    """在中文句末标点之后断句。标点留在所属的句子里。"""
    return [s for s in re.split(r"(?<=[。！？])", text) if s.strip()]


jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    late_chunking=True,
    query_config={"task": "retrieval.query", "late_chunking": False},
)
manual = (
    "先确认本机装有 Python 3.11 或更高版本。为项目创建一个虚拟环境，并激活它。"
    "克隆 chroma-jina 的仓库，用 pip 把它装进虚拟环境。"
    "到 jina.ai 申请一个 API 密钥。确认账户里有余额。"
    "把密钥写进环境变量 CHROMA_JINA_API_KEY。千万不要把密钥写进代码！"
    "创建嵌入函数时一定要写 model_name，因为默认模型只懂英文。"
    "中文文档建议用 jina-embeddings-v3。文档用段落任务，查询用查询任务。"
    "用 PersistentClient 打开一个目录，数据就保存在磁盘上。"
    "创建集合时传入嵌入函数，它的配置随集合保存。"
    "重新打开集合时，为什么不用再传嵌入函数？因为 Chroma 会按保存的配置把它重建出来。"
)
chunks = sentences(manual)  # 每句一个片段
vectors, windows = embed_long_document(jina, chunks)
print(windows)  # (3)!
#> [(0, 6), (4, 10), (8, 14)]
print(np.stack(vectors).shape)
#> (14, 1024)
