"""The compatibility matrix as the Migrating page shows it, in English and Chinese.

`write(rows, docs)` replaces the table between `<!-- contract:matrix -->` markers in
docs/{en,zh}/migrating.md with the one rendered from `checks.run()`'s rows, so the page always shows
what the suite measured (tests/integration/test_contract_checks.py fails when it does not).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MARKER = "contract:matrix"
GROUPS: dict[str, dict[str, str]] = {
    "4": {"en": "Chroma's protocol", "zh": "Chroma 接口约定"},
    "1": {"en": "Set-up and keys", "zh": "安装与密钥"},
    "3": {"en": "Set-up and keys", "zh": "安装与密钥"},
    "5": {"en": "Set-up and keys", "zh": "安装与密钥"},
    "6": {"en": "Checks before sending", "zh": "发送前校验"},
    "7": {"en": "Decoding and order", "zh": "解码与顺序"},
    "8": {"en": "Batching and late chunking", "zh": "分批与延迟分块"},
    "9": {"en": "Errors and retries", "zh": "错误与重试"},
    "6/": {"en": "At scale", "zh": "大规模使用"},
}
ZH: dict[str, str] = {
    'name() is "jina"': 'name() 返回 "jina"',
    "get_config() is exactly the 9 schema keys and validates": "get_config() 恰好是 schema 规定的 9 个键，且通过校验",
    "config round-trips through the other implementation": "另一个实现能用这份配置重建，重建后配置不变",
    "validate_config_update accepts an unchanged model": "模型不变时 validate_config_update 放行",
    "validate_config_update rejects a changed model": "更换模型时 validate_config_update 拒绝",
    'default_space() is "cosine", supported cosine/l2/ip': 'default_space() 为 "cosine"，支持 cosine/l2/ip',
    "embed_query applies query_config over the config": "embed_query 用 query_config 覆盖配置里的对应项",
    "same vectors as the emulator's for the same config": "同样配置下与模拟器的向量一致",
    "a collection made with api_key= (no variable set) keeps a rebuildable config": "用 api_key= 创建、未设环境变量的集合，配置仍可重建",
    "text-only use works without Pillow installed": "只处理文本时无需安装 Pillow",
    "base URL configurable (JINA_API_BASE_URL)": "可配置 base URL（JINA_API_BASE_URL）",
    "api_key_env_var the user named is used and persisted when JINA_API_KEY is set": "设置了 JINA_API_KEY 时，仍使用并保存用户指定的 api_key_env_var",
    "api_key= creates the function without a warning": "用 api_key= 创建嵌入函数时不发警告",
    "missing key: ValueError naming both variables": "缺少密钥：ValueError，并写明两个变量名",
    "key absent from repr, str, config and errors": "repr、str、配置和异常中都不含密钥",
    "task the model refuses: ValueError, nothing sent": "模型不支持的 task：ValueError，不发请求",
    "dimensions out of range: ValueError, nothing sent": "dimensions 超出范围：ValueError，不发请求",
    "dimensions on a model without it: ValueError, nothing sent": "模型不支持 dimensions：ValueError，不发请求",
    "late_chunking on a model without it: ValueError, nothing sent": "模型不支持 late_chunking：ValueError，不发请求",
    "image to a text-only model: ValueError, nothing sent": "给纯文本模型传图像：ValueError，不发请求",
    "unknown embedding_type: ValueError, nothing sent": "未知的 embedding_type：ValueError，不发请求",
    "list-valued embedding_type: ValueError, nothing sent": "embedding_type 传列表：ValueError，不发请求",
    "empty input: ValueError, nothing sent": "空输入：ValueError，不发请求",
    "an item that is neither text nor image: ValueError, nothing sent": "既非文本也非图像的输入项：ValueError，不发请求",
    "only fields the model accepts are sent (v2: late_chunking=False)": "只发送模型接受的字段（v2：late_chunking=False）",
    "base64 decodes to the float32 vectors": "base64 解码为 float32 向量",
    "ubinary expands to +1/-1 float32 of length dimensions": "ubinary 展开为长度等于 dimensions 的 +1/-1 float32 向量",
    "binary expands to the same +1/-1 vectors": "binary 展开为同样的 +1/-1 向量",
    "results placed by index (shuffled response)": "响应乱序时，结果按 index 归位",
    "a missing index never yields a short or misaligned list": "缺少某个 index 时，不会返回变短或错位的列表",
    "a repeated index is detected": "能识别重复的 index",
    "600 inputs in one call on v4 (512-item cap): all vectors": "v4 一次调用传入 600 条（单个请求上限 512 条）：全部拿到向量",
    "late chunking: a call is one request, never split": "延迟分块：一次调用只发一个请求，绝不拆分",
    "late chunking: queries never share one context": "延迟分块：查询之间绝不共享上下文",
    "401: AuthenticationError": "401：AuthenticationError",
    "403 balance: InsufficientBalanceError": "403 余额不足：InsufficientBalanceError",
    "HTML 502 page: ServerError (not a JSON error)": "HTML 502 页面：ServerError（而不是 JSON 解析错误）",
    "dropped connection: NetworkError": "连接中断：NetworkError",
    "errors carry status, code and request_id": "异常带有状态码、错误码和 request_id",
    "429 is retried (then all vectors)": "429 会重试（之后返回全部向量）",
    "503 is retried (then all vectors)": "503 会重试（之后返回全部向量）",
    "Retry-After (HTTP date) is honoured": "遵守 Retry-After（HTTP 日期格式）",
    "400 is not retried": "400 不重试",
    "async API (aembed)": "异步接口（aembed）",
    "float vectors fetched as base64 on the wire (fewer bytes)": "浮点向量以 base64 传输（字节更少）",
    "token usage reported": "记录 token 用量",
}
HEADERS = {
    "en": ("Area", "Check", "chroma-jina", "built-in", "passes"),
    "zh": ("类别", "检查项", "chroma-jina", "内置实现", "通过项"),
}
MARKS = {"en": {True: "pass", False: "**fail**"}, "zh": {True: "通过", False: "**未通过**"}}


def group(item: str, lang: str) -> str:
    """The reader-facing area of a check, from the item it belongs to."""
    key = "6/" if item.startswith("6/") else item.split("/")[0]
    return GROUPS[key][lang]


def render(rows: list[dict[str, Any]], lang: str) -> str:
    """The Markdown table of every check, with a closing line of totals."""
    area, check, ours, builtin, passes = HEADERS[lang]
    mark = MARKS[lang]
    lines = [f"| {area} | {check} | {ours} | {builtin} |", "| --- | --- | :---: | :---: |"]
    for row in rows:
        text = row["check"] if lang == "en" else ZH[row["check"]]
        lines.append(
            f"| {group(row['item'], lang)} | {text} | {mark[row['chroma-jina']]} | "
            f"{mark[row['built-in']]} |"
        )
    total = len(rows)
    counts = (sum(r["chroma-jina"] for r in rows), sum(r["built-in"] for r in rows))
    lines.append("")
    lines.append(
        f"{passes}: chroma-jina {counts[0]}/{total}, built-in {counts[1]}/{total}."
        if lang == "en"
        else f"{passes}：chroma-jina {counts[0]}/{total}，内置实现 {counts[1]}/{total}。"
    )
    return "\n".join(lines)


def block(rows: list[dict[str, Any]], lang: str) -> str:
    """The table between its markers, as it stands in the page."""
    return f"<!-- {MARKER} -->\n{render(rows, lang)}\n<!-- /{MARKER} -->"


def write(rows: list[dict[str, Any]], docs: Path) -> None:
    """Replace the matrix in docs/{en,zh}/migrating.md with the measured one."""
    pattern = re.compile(rf"<!-- {MARKER} -->.*?<!-- /{MARKER} -->", re.DOTALL)
    for lang in ("en", "zh"):
        page = docs / lang / "migrating.md"
        text = page.read_text(encoding="utf-8")
        if not pattern.search(text):
            raise ValueError(f"{page} has no <!-- {MARKER} --> block")
        table = block(rows, lang)
        page.write_text(pattern.sub(lambda _, table=table: table, text), encoding="utf-8")
