from chroma_jina import JinaReranker

reranker = JinaReranker(model_name="jina-reranker-m0")  # (1)!
pictures = "https://raw.githubusercontent.com/jina-ai/multimodal-reranker-test/main/"
documents = [
    {"image": pictures + "wired-preview.png"},  # (2)!
    {"image": pictures + "paper-11.png"},
    "Traditional databases struggle with modern data workloads.",
]
for index, score in reranker.rerank("figures from a research paper", documents):  # (3)!
    document = documents[index]
    shown = document["image"].removeprefix(pictures) if isinstance(document, dict) else document
    print(index, round(score, 2), shown)
    #> 1 0.32 paper-11.png
    #> 2 0.02 Traditional databases struggle with modern data workloads.
    #> 0 0.01 wired-preview.png
