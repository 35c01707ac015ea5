import numpy as np

from chroma_jina import JinaEmbeddingFunction

documents = [
    "绿茶的冲泡水温在 80 摄氏度左右。",
    "红茶要用沸水冲泡，泡四分钟左右。",
    "意式浓缩咖啡是用高压热水冲过咖啡粉萃取而成的。",
    "用法压壶冲咖啡，粗研磨的咖啡粉要泡四分钟左右。",
    "酸种面包靠野生酵母发酵。",
    "黑麦面包组织紧实，能放一个星期。",
    "南京是江苏省的省会。",
    "杭州是浙江省的省会。",
    "长江流经重庆、武汉和南京。",
    "Chroma 存储向量和对应的文档。",
    "Jina AI 训练用于搜索的向量模型。",
    "二值向量每一维只占 1 比特。",
]
questions = [
    "泡绿茶用多少度的水？",
    "意式浓缩咖啡是怎么做的？",
    "面包靠什么发酵？",
    "浙江省的省会是哪座城市？",
    "什么数据库可以存向量？",
    "法压壶要泡多久？",
]


def top_three(dimensions):
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
        dimensions=dimensions,  # (1)!
    )
    vectors = np.array(jina(documents))
    scores = np.array(jina.embed_query(questions)) @ vectors.T
    return vectors[0].nbytes, np.argsort(-scores, axis=1)[:, :3]


_, full = top_three(None)  # (2)!
for dimensions in (256, 128, 64, 32):
    size, top = top_three(dimensions)
    same = int((top[:, 0] == full[:, 0]).sum())
    shared = np.mean([len(set(a) & set(b)) / 3 for a, b in zip(top, full, strict=True)])
    agreement = f"第一名相同 {same}/6，前三名重合 {shared:.0%}"
    print(f"{dimensions:>4} 维，{size:>4} 字节：{agreement}")  # (3)!
    #>  256 维，1024 字节：第一名相同 6/6，前三名重合 83%
    #>  128 维， 512 字节：第一名相同 6/6，前三名重合 78%
    #>   64 维， 256 字节：第一名相同 5/6，前三名重合 78%
    #>   32 维， 128 字节：第一名相同 5/6，前三名重合 72%

try:
    JinaEmbeddingFunction(model_name="jina-embeddings-v3", dimensions=2048)  # (4)!
except ValueError as error:
    print(error)
    #> dimensions=2048 is out of range for model 'jina-embeddings-v3'; allowed: 32..1024
