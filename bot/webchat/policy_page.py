"""The policy page of the chat server (/policy), generated from data/policy/policy.yml.

Every section, item and sub-item has an anchor built from its citation number, so
that the chat page can link 「（出典：セキュリティポリシー 5.(2)⑤）」 to /policy#p-5-2-5
(web/chat.js builds the same ids with the same rule).
"""

from __future__ import annotations

import html
import re

import yaml

from bot.policy.document import POLICY_FILE, Node, Policy, load_policy

_CIRCLED = {chr(0x2460 + i): str(i + 1) for i in range(20)}  # ①..⑳
_PART = re.compile(r"\d+|[\u2460-\u2473]")


def anchor(ref: str) -> str:
    """"5" -> "p-5", "5.(2)" -> "p-5-2", "5.(2)⑤" -> "p-5-2-5"."""
    parts = [_CIRCLED.get(part, part) for part in _PART.findall(ref)]
    if not parts:
        raise ValueError(f"not a citation number: {ref!r}")
    return "p-" + "-".join(parts)


def _node(node: Node, depth: int) -> str:
    esc = html.escape
    label = f"{node.number}." if depth == 0 else node.number
    heading = f"{label}　{node.title}" if node.title else label
    tag = "h2" if depth == 0 else "h3" if depth == 1 else "h4"
    parts = [f'<li id="{anchor(node.ref)}" class="clause depth-{depth}">',
             f'<{tag}><a class="self" href="#{anchor(node.ref)}">{esc(heading)}</a>'
             f'<span class="visually-hidden">（{esc(node.ref)}）</span></{tag}>']
    if node.text:
        parts.append(f"<p>{esc(node.text)}</p>")
    contact = node.facts.get("contact")
    if isinstance(contact, dict):
        tel, email = str(contact.get("tel", "")), str(contact.get("email", ""))
        parts.append(
            '<p class="contact">'
            f'{esc(str(contact.get("name", "")))}<br>住所：{esc(str(contact.get("address", "")))}<br>'
            f'TEL：<a href="tel:{esc(re.sub(r"[^0-9+]", "", tel))}">{esc(tel)}</a><br>'
            f'電子メール：<a href="mailto:{esc(email)}">{esc(email)}</a></p>')
    if node.children:
        parts.append(f'<ol class="clauses" role="list">{"".join(_node(c, depth + 1) for c in node.children)}</ol>')
    parts.append("</li>")
    return "".join(parts)


def render_policy_page(policy: Policy | None = None) -> bytes:
    policy = policy or load_policy()
    preamble = (yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8")).get("preamble") or "").strip()
    esc = html.escape
    toc = "".join(f'<li><a href="#{anchor(s.ref)}">{esc(s.number)}.　{esc(s.title)}</a></li>'
                  for s in policy.sections)
    body = "".join(_node(section, 0) for section in policy.sections)
    return f"""<!doctype html>
<html lang="ja">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{esc(policy.title)} | {esc(policy.company)}</title>
  <link rel="stylesheet" href="/static/chat.css">
</head>
<body class="policy-page">
  <header class="policy-header">
    <p class="back"><a href="/">チャットに戻る</a></p>
    <h1>{esc(policy.title)}</h1>
    <p>{esc(policy.company)}</p>
  </header>
  <main class="policy">
    <p class="preamble">{esc(preamble)}</p>
    <nav aria-label="目次"><h2 class="toc-title">目次</h2><ol class="toc" role="list">{toc}</ol></nav>
    <ol class="clauses" role="list">{body}</ol>
  </main>
</body>
</html>
""".encode()
