"""The chat page as customers use it (issue 16), in Debian's chromium against the running bot:
accessibility (axe-core, keyboard only, the IME), speed, links to the policy, the receipt,
shared computers and the phone layout."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.chat_page import BOT_MESSAGE, CUSTOMER_MESSAGE, RECEIPT_CARD, TIMEOUT_MS, ChatPage, browser  # noqa: F401
from tests.conftest import ARTIFACTS, ROOT, RunningBot

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BOX = "ご質問・ご回答"
# Times measured in the page (performance.now(): milliseconds since the navigation
# started): when a customer message leaves on the WebSocket, when a socket.io frame with
# a bot message arrives, and when a bot bubble is put in the page.
TIMING_PROBE = """
window.__timing = {frames: [], bubbles: [], sent: []};
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', (event) => {
      if (typeof event.data === 'string' && event.data.includes('"bot_uttered"'))
        window.__timing.frames.push(performance.now());
    });
  }
  send(data) {
    if (String(data).includes('"user_uttered"')) window.__timing.sent.push(performance.now());
    return super.send(data);
  }
};
new MutationObserver((mutations) => {
  for (const mutation of mutations)
    for (const node of mutation.addedNodes)
      if (node.nodeType === 1 && node.matches('.msg.bot')) window.__timing.bubbles.push(performance.now());
}).observe(document, {childList: true, subtree: true});
"""


def _context(browser: Browser, **options) -> BrowserContext:  # noqa: F811
    return browser.new_context(locale="ja-JP", **{"viewport": {"width": 1280, "height": 900}, **options})


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:  # noqa: F811
    context = _context(browser)
    yield context
    context.close()


def greeted(page: Page, url: str) -> ChatPage:
    chat = ChatPage(page, url)
    expect(chat.reply_button("請求を申し込む")).to_be_visible(timeout=TIMEOUT_MS)
    return chat


def axe_violations(page: Page) -> list[dict]:
    """axe-core from node_modules, run on the whole page (the context bypasses the page's
    CSP only so that this test script can be injected)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ['violations']});
        return results.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""")


def test_axe_finds_nothing_on_the_chat_page_and_the_policy_page(browser: Browser,  # noqa: F811
                                                                  running_bot: RunningBot) -> None:
    context = _context(browser, bypass_csp=True)
    try:
        page = context.new_page()
        chat = greeted(page, running_bot.chat_url)
        assert axe_violations(page) == []
        chat.type_in("本人確認書類は何が必要ですか", "運転免許証")  # an answer with a citation link
        assert axe_violations(page) == []
        page.goto(running_bot.chat_url + "policy")
        expect(page.locator("#p-5-2")).to_be_visible()
        assert axe_violations(page) == []
    finally:
        context.close()


def test_keyboard_only_a_quick_reply_answers(context: BrowserContext, running_bot: RunningBot) -> None:
    page = context.new_page()
    chat = greeted(page, running_bot.chat_url)
    # What a screen reader is told the controls are.
    expect(page.get_by_role("button", name="送信")).to_be_visible()
    expect(chat.box).to_be_visible()
    expect(page.locator("[aria-live=polite]")).to_contain_text("お問い合わせ窓口です")
    expect(chat.reply_button("本人確認書類")).to_have_js_property("tagName", "BUTTON")

    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "本人確認書類":
            break
    else:
        pytest.fail("Tab never reached the quick reply 「本人確認書類」")
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                         " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert ring[0] != "none" and ring[1] >= 2, ring  # a visible focus ring
    page.keyboard.press("Enter")

    expect(page.locator(CUSTOMER_MESSAGE).last).to_have_text(re.compile("本人確認書類"))
    expect(chat.last_reply()).to_contain_text("運転免許証", timeout=TIMEOUT_MS)
    expect(page.locator("[aria-live=polite]")).to_contain_text("運転免許証")
    # The button's title is what the customer "said"; focus is back in the input box.
    assert page.evaluate("document.activeElement.id") == "box"


def test_enter_that_confirms_a_conversion_does_not_send(context: BrowserContext,
                                                        running_bot: RunningBot) -> None:
    page = context.new_page()
    chat = greeted(page, running_bot.chat_url)
    sent = page.locator(CUSTOMER_MESSAGE)
    # The keydown of an Enter that confirms a conversion: Chrome and Firefox set
    # isComposing; Safari (and Chrome with some IMEs) sends keyCode 229 instead. Chrome's
    # DevTools protocol cannot drive a real IME's keydown, so these are dispatched.
    chat.box.fill("ほんにんかくにん")
    keydown = """([key, composing, keyCode]) => {
        const event = new KeyboardEvent('keydown', {key, code: 'Enter', isComposing: composing,
                                                    bubbles: true, cancelable: true});
        // KeyboardEventInit has no keyCode: set it as the browser would.
        Object.defineProperty(event, 'keyCode', {get: () => keyCode});
        document.getElementById('box').dispatchEvent(event);
    }"""
    for key, composing, key_code in (("Enter", True, 13), ("Enter", False, 229), ("Process", False, 229)):
        page.evaluate(keydown, [key, composing, key_code])
    page.wait_for_timeout(300)
    expect(sent).to_have_count(0)
    expect(chat.box).to_have_value("ほんにんかくにん")
    # The same synthetic event without composition does send: the handler is listening.
    bot_messages = page.locator(BOT_MESSAGE).count()
    page.evaluate(keydown, ["Enter", False, 13])
    expect(sent).to_have_count(1)
    expect(sent).to_have_text(re.compile("ほんにんかくにん"))
    expect(page.locator(BOT_MESSAGE)).not_to_have_count(bot_messages, timeout=TIMEOUT_MS)
    # A real Enter (not composing) sends as well.
    chat.box.fill("本人確認書類は何が必要ですか")
    chat.box.press("Enter")
    expect(sent).to_have_count(2)
    expect(chat.last_reply()).to_contain_text("運転免許証", timeout=TIMEOUT_MS)


def test_the_greeting_and_each_answer_appear_at_once(context: BrowserContext,
                                                     running_bot: RunningBot) -> None:
    warm = context.new_page()  # the first page of a fresh bot and browser is not measured
    greeted(warm, running_bot.chat_url)
    warm.close()
    context.clear_cookies()
    page = context.new_page()
    page.add_init_script(TIMING_PROBE)
    chat = greeted(page, running_bot.chat_url)
    start = page.evaluate("window.__timing")
    first_bubble = start["bubbles"][0]
    breakdown = (f"greeting asked at {start['sent'][0]:.0f} ms, the server's reply arrived at "
                 f"{start['frames'][0]:.0f} ms, shown at {first_bubble:.0f} ms")
    # The target is 1 s; the slack is for the bot's own time on a loaded 2-core machine.
    assert first_bubble < 1500, breakdown
    assert start["sent"][0] < 700, breakdown  # the page's part: loaded, connected, asked

    chat.type_in("本人確認書類は何が必要ですか", "運転免許証")
    chat.click("お問い合わせ窓口", "safe@tcnnet.co.jp")
    page.wait_for_timeout(300)
    timing = page.evaluate("window.__timing")
    assert len(timing["frames"]) >= 3 and len(timing["frames"]) == len(timing["bubbles"]), timing
    delays = [bubble - frame for frame, bubble in zip(timing["frames"], timing["bubbles"])]
    assert max(delays) < 500, delays
    print(f"{breakdown}; frame → bubble {max(delays):.1f} ms at most")


def test_citations_link_to_the_policy_and_the_contact_point_is_callable(
        context: BrowserContext, running_bot: RunningBot) -> None:
    page = context.new_page()
    chat = greeted(page, running_bot.chat_url)
    chat.type_in("本人確認書類は何が必要ですか", "運転免許証")
    citation = chat.last_reply().get_by_role("link", name=re.compile(r"^5\.\(2\)"))
    expect(citation).to_have_attribute("href", "/policy#p-5-2")
    with context.expect_page() as opened:
        citation.click()
    policy = opened.value
    policy.wait_for_load_state()
    assert policy.url == running_bot.chat_url + "policy#p-5-2"
    clause = policy.locator("#p-5-2")
    expect(clause).to_contain_text("運転免許証")
    expect(clause).to_be_in_viewport()
    expect(policy.locator("#p-5-2-1")).to_be_visible()  # sub-items have their own anchors
    policy.close()

    chat.click("お問い合わせ窓口", "safe@tcnnet.co.jp")
    reply = chat.last_reply()
    expect(reply.locator('a[href="tel:0428321351"]').first).to_have_text("0428-32-1351")
    expect(reply.locator('a[href="mailto:safe@tcnnet.co.jp"]').first).to_have_text("safe@tcnnet.co.jp")
    # The customer's words are text, never markup or links.
    chat.type_in("<b>太字</b> 090-1234-5678 taro@example.jp", "")
    customer = page.locator(CUSTOMER_MESSAGE).last
    expect(customer).to_contain_text("<b>太字</b>")
    expect(customer.locator("b, a")).to_have_count(0)


def test_the_start_menu_is_always_there(context: BrowserContext, running_bot: RunningBot) -> None:
    page = context.new_page()
    chat = greeted(page, running_bot.chat_url)
    chat.type_in("本人確認書類は何が必要ですか", "運転免許証")
    expect(page.locator(".replies").get_by_role("button", name="請求を申し込む")).to_have_count(0)
    page.get_by_role("button", name="メニュー", exact=True).click()
    expect(chat.reply_button("請求を申し込む")).to_be_visible()
    expect(page.locator(".replies").last.get_by_role("button").first).to_be_focused()
    chat.click("受付状況の確認", "受付番号")


def test_the_receipt_card_copies_and_prints(browser: Browser, running_bot: RunningBot) -> None:  # noqa: F811
    context = _context(browser, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=running_bot.chat_url.rstrip("/"))
    try:
        page = context.new_page()
        chat = ChatPage(page, running_bot.chat_url)
        receipt = chat.file_request()
        card = page.locator(RECEIPT_CARD)
        expect(card).to_have_count(1)
        expect(card.get_by_role("heading", name="受付の控え")).to_be_visible()
        expect(card).to_contain_text(f"書類に受付番号（{receipt.reference}）をお書き添えください")
        card.get_by_role("button", name="受付番号をコピー").click()
        expect(card).to_contain_text("コピーしました")
        assert page.evaluate("navigator.clipboard.readText()") == receipt.reference
        card.get_by_role("button", name="確認コードをコピー").click()
        page.wait_for_function(f"navigator.clipboard.readText().then(t => t === '{receipt.code}')")
        assert axe_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        card.screenshot(path=str(ARTIFACTS / "chat-receipt.png"))

        # 「控えを印刷する」: window.print with only the card in the printed view.
        page.evaluate("window.print = () => { window.__printed = true; }")
        card.get_by_role("button", name="控えを印刷する").click()
        assert page.evaluate("window.__printed") is True
        page.emulate_media(media="print")
        expect(card).to_be_visible()
        expect(card.get_by_text(receipt.code, exact=True)).to_be_visible()
        expect(page.locator("header.bar")).not_to_be_visible()
        expect(chat.box).not_to_be_visible()
        expect(page.locator(BOT_MESSAGE).first).not_to_be_visible()
        expect(card.get_by_role("button", name="受付番号をコピー")).not_to_be_visible()
        page.pdf(path=str(ARTIFACTS / "chat-receipt-print.pdf"))
    finally:
        context.close()


def test_ending_the_conversation_leaves_nothing_for_the_next_person(
        context: BrowserContext, running_bot: RunningBot) -> None:
    page = context.new_page()
    chat = greeted(page, running_bot.chat_url)
    chat.type_in("本人確認書類は何が必要ですか", "運転免許証")
    old_session = page.evaluate("JSON.parse(sessionStorage.getItem('tcn-privacy-chat')).sessionId")
    assert page.evaluate("localStorage.length") == 0  # nothing outlives the tab

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="会話を終了して履歴を消す").click()
    expect(page.locator(CUSTOMER_MESSAGE)).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("履歴を消しました")
    expect(chat.reply_button("請求を申し込む")).to_be_visible(timeout=TIMEOUT_MS)  # a new greeting
    new_session = page.evaluate("JSON.parse(sessionStorage.getItem('tcn-privacy-chat')).sessionId")
    assert new_session and new_session != old_session

    page.reload()
    expect(chat.reply_button("請求を申し込む")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("body")).not_to_contain_text("運転免許証")
    expect(page.locator("body")).not_to_contain_text("本人確認書類は何が必要ですか")
    expect(page.locator(CUSTOMER_MESSAGE)).to_have_count(0)
    stored = page.evaluate("JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")
    assert "運転免許証" not in stored and old_session not in stored


def test_a_new_tab_starts_a_new_conversation(context: BrowserContext, running_bot: RunningBot) -> None:
    page = context.new_page()
    chat = greeted(page, running_bot.chat_url)
    chat.type_in("本人確認書類は何が必要ですか", "運転免許証")
    other = context.new_page()  # the next person on a shared computer, same browser profile
    greeted(other, running_bot.chat_url)
    expect(other.locator(CUSTOMER_MESSAGE)).to_have_count(0)
    expect(other.locator("body")).not_to_contain_text("運転免許証")


def test_the_phone_layout_fits_390_by_844(browser: Browser, running_bot: RunningBot) -> None:  # noqa: F811
    context = _context(browser, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                       is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        chat = greeted(page, running_bot.chat_url)
        chat.type_in("本人確認書類は何が必要ですか", "運転免許証")
        chat.click("お問い合わせ窓口", "safe@tcnnet.co.jp")  # enough text to scroll the log
        for control in (chat.box, page.get_by_role("button", name="送信")):
            box = control.bounding_box()
            assert box and box["x"] >= 0 and box["y"] >= 0, box
            assert box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, box
            expect(control).to_be_in_viewport(ratio=1)
        sizes = page.evaluate("""({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,
                                  header: document.querySelector('header.bar').getBoundingClientRect().height})""")
        assert sizes["w"] <= 390 and sizes["h"] <= 844, sizes
        assert sizes["header"] <= 844 * 0.12, sizes  # compact: the old header took 22 %
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat-phone.png"))
    finally:
        context.close()


def test_desktop_layout_under_the_strict_policy(context: BrowserContext, running_bot: RunningBot) -> None:
    """No inline script or style: the page and the policy page work under script-src and
    style-src 'self' with no violation of the Content-Security-Policy."""
    page = context.new_page()
    page.add_init_script("window.cspViolations = [];"
                         "document.addEventListener('securitypolicyviolation',"
                         " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));")
    chat = greeted(page, running_bot.chat_url)
    chat.type_in("本人確認書類は何が必要ですか", "運転免許証")
    assert "style-src 'self';" in page.evaluate(
        "fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    sizes = page.evaluate("({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})")
    assert sizes["w"] <= 1280 and sizes["h"] <= 900, sizes
    expect(chat.box).to_be_in_viewport(ratio=1)
    assert page.evaluate("window.cspViolations") == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-desktop.png"))
    page.goto(running_bot.chat_url + "policy#p-5-2")
    expect(page.locator("#p-5-2")).to_be_in_viewport()
    assert page.evaluate("window.cspViolations") == []
    page.screenshot(path=str(ARTIFACTS / "policy.png"))


def test_policy_anchor_rule_matches_the_page() -> None:
    from bot.policy.document import load_policy
    from bot.webchat.policy_page import anchor, render_policy_page

    assert anchor("5.(2)⑤") == "p-5-2-5" and anchor("5") == "p-5" and anchor("10.(1)③") == "p-10-1-3"
    page = render_policy_page().decode()
    ids = [anchor(node.ref) for node in load_policy().walk()]
    assert len(set(ids)) == len(ids)
    assert all(f'id="{id_}"' in page for id_ in ids)
    script = (ROOT / "web" / "chat.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "localStorage.setItem" not in script
    assert Path(ROOT / "node_modules/socket.io-client/dist/socket.io.min.js").exists()
