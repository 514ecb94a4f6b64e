// The customer chat page on Rasa's socket.io channel (bot/channels/socketio.py):
// plain JavaScript and the socket.io client, no framework (README: チャット画面).
//
// - The conversation (and its session id) is kept in sessionStorage: it survives a
//   reload in this tab and is gone when the tab is closed; 「会話を終了して履歴を消す」
//   clears it at once, disconnects and starts a new session.
// - The bot's text is never parsed as HTML: it is put in text nodes, and only
//   citations (to /policy#p-…) and the company's own telephone number and e-mail
//   address (tel:, mailto:) become links.
// - A bot message appears as soon as it arrives; 「回答を準備しています…」 shows only
//   while the customer waits for the server.
(function () {
  "use strict";

  var script = document.currentScript;
  var SOCKET_URL = script.dataset.socketUrl;
  var CONTACT_TEL = script.dataset.contactTel || "";
  var CONTACT_EMAIL = script.dataset.contactEmail || "";
  var STORAGE_KEY = "tcn-privacy-chat";
  // Asks for the greeting and its menu. Typed words, not 「/greet」: the channels take
  // a payload only from a button of the bot's latest message (bot/channels/guard.py).
  var GREET = "こんにちは";
  var MAX_ANNOUNCED = 4;
  var TYPING_GIVE_UP_MS = 60000;
  var REFERENCE = /受付番号：\s*(PR-\d{8}-[A-Z0-9]{6})/;
  var CODE = /確認コード：\s*(\d{6})/;
  var CITATION = /出典：セキュリティポリシー ([^）\n]+)/g;
  var REF = /^\d+(?:\.\(\d+\))?[\u2460-\u2473]?$/;

  var log = document.getElementById("log");
  var list = document.getElementById("messages");
  var typing = document.getElementById("typing");
  var announcer = document.getElementById("announcer");
  var connection = document.getElementById("connection");
  var form = document.getElementById("composer");
  var box = document.getElementById("box");
  var menuButton = document.getElementById("menu-button");
  var endButton = document.getElementById("end-button");

  // rasa-webchat, which this page replaced, kept whole conversations in localStorage
  // under this key: removed from every browser that opens the page.
  try { window.localStorage.removeItem("chat_session"); } catch (e) { /* storage off */ }

  // -- state, kept for this tab only --------------------------------------------
  function freshState() {
    // sessionToken: what the server gave with the id, to resume this session and no other
    // (bot/channels/socketio.py).
    return { sessionId: null, sessionToken: null, messages: [], menu: null };
  }

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY));
      if (saved && Array.isArray(saved.messages)) return saved;
    } catch (e) { /* nothing usable stored */ }
    return freshState();
  }

  function saveState() {
    try { window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* full or off */ }
  }

  var state = loadState();
  var confirmed = false;      // the server confirmed our session id on this connection
  var queue = [];             // messages typed before that
  var awaitingGreeting = false;
  var typingTimer = null;
  var burstStart = true;      // the next bot message is the first after the customer's
  var keepNotice = false;     // 「会話を終了し…」 stays shown over the reconnection

  // -- text with the only links we make ------------------------------------------
  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  // "5.(2)⑤" -> "p-5-2-5" (the same rule as bot/webchat/policy_page.py anchor()).
  function policyAnchor(ref) {
    var parts = ref.match(/\d+|[\u2460-\u2473]/g) || [];
    return "p-" + parts.map(function (part) {
      var code = part.charCodeAt(0);
      return code >= 0x2460 && code <= 0x2473 ? String(code - 0x2460 + 1) : part;
    }).join("-");
  }

  function link(href, text, newTab) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (newTab) {
      a.target = "_blank";
      a.rel = "noopener";
      var hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = "（新しいタブで開きます）";
      a.appendChild(hint);
    }
    return a;
  }

  function citationNodes(refs) {
    var nodes = [];
    refs.split("、").forEach(function (ref, index) {
      if (index > 0) nodes.push(document.createTextNode("、"));
      var trimmed = ref.trim();
      nodes.push(REF.test(trimmed)
        ? link("/policy#" + policyAnchor(trimmed), ref, true)
        : document.createTextNode(ref));
    });
    return nodes;
  }

  // Appends `text` to `parent` as text nodes, with citations, the company's telephone
  // number and its e-mail address as links. Nothing in `text` is ever parsed as HTML.
  function appendRichText(parent, text) {
    var finders = [];
    finders.push(function (from) {
      CITATION.lastIndex = from;
      var m = CITATION.exec(text);
      if (!m) return null;
      var prefix = "出典：セキュリティポリシー ";
      return { index: m.index, length: m[0].length, nodes: [document.createTextNode(prefix)].concat(citationNodes(m[1])) };
    });
    [[CONTACT_TEL, function (t) { return link("tel:" + t.replace(/[^0-9+]/g, ""), t, false); }],
     [CONTACT_EMAIL, function (t) { return link("mailto:" + t, t, false); }]].forEach(function (pair) {
      if (!pair[0]) return;
      var pattern = new RegExp(escapeRegExp(pair[0]), "g");
      finders.push(function (from) {
        pattern.lastIndex = from;
        var m = pattern.exec(text);
        return m ? { index: m.index, length: m[0].length, nodes: [pair[1](m[0])] } : null;
      });
    });
    var at = 0;
    for (;;) {
      var next = null;
      finders.forEach(function (find) {
        var found = find(at);
        if (found && (!next || found.index < next.index)) next = found;
      });
      if (!next) break;
      if (next.index > at) parent.appendChild(document.createTextNode(text.slice(at, next.index)));
      next.nodes.forEach(function (node) { parent.appendChild(node); });
      at = next.index + next.length;
    }
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }

  // -- rendering -------------------------------------------------------------------
  function speaker(label) {
    var span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = label;
    return span;
  }

  function button(text, className, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function renderReplies(replies) {
    var group = document.createElement("div");
    group.className = "replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "選択肢");
    replies.forEach(function (reply) {
      group.appendChild(button(reply.title, "reply", function () {
        send(reply.title, reply.payload);
        box.focus();
      }));
    });
    return group;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {  // http:// on another host: no Clipboard API
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function receiptRow(dl, label, value, copyLabel) {
    var dt = document.createElement("dt");
    dt.textContent = label;
    var dd = document.createElement("dd");
    var strong = document.createElement("strong");
    strong.className = "value";
    strong.textContent = value;
    var done = document.createElement("span");
    done.className = "copied";
    var copy = button(copyLabel, "copy", function () {
      copyText(value).then(function () {
        done.textContent = "コピーしました";
        announce(label + "をコピーしました");
      }, function () {
        done.textContent = "コピーできませんでした。番号を書き留めてください";
        announce(done.textContent);
      });
    });
    dd.appendChild(strong);
    dd.appendChild(copy);
    dd.appendChild(done);
    dl.appendChild(dt);
    dl.appendChild(dd);
  }

  function renderReceipt(li, text, reference, code) {
    li.classList.add("receipt");
    var heading = document.createElement("h3");
    heading.textContent = "受付の控え";
    var org = document.createElement("p");
    org.className = "receipt-org";
    org.textContent = "多摩ケーブルネットワーク株式会社　個人情報に関するお問い合わせ";
    var body = document.createElement("p");
    body.className = "text";
    appendRichText(body, text);
    var dl = document.createElement("dl");
    receiptRow(dl, "受付番号", reference, "受付番号をコピー");
    receiptRow(dl, "確認コード", code, "確認コードをコピー");
    var mail = document.createElement("p");
    mail.className = "receipt-note";
    mail.textContent = "本人確認書類などを郵送される場合は、お送りする書類に受付番号（" + reference +
      "）をお書き添えください。確認コードは受付状況の確認に使います。書類には書かず、他の方に知られないよう保管してください。";
    var print = button("控えを印刷する", "print", function () { printReceipt(li); });
    // The numbers first, where they cannot be missed; the bot's whole message below.
    [heading, org, dl, mail, print, body].forEach(function (node) { li.appendChild(node); });
  }

  function printReceipt(card) {
    document.body.classList.add("printing-receipt");
    card.classList.add("print-target");
    var done = function () {
      document.body.classList.remove("printing-receipt");
      card.classList.remove("print-target");
      window.removeEventListener("afterprint", done);
    };
    window.addEventListener("afterprint", done);
    window.print();
  }

  // Class names rw-response / rw-client are kept from rasa-webchat (tests and
  // existing style rules look for them).
  function renderMessage(message) {
    var li = document.createElement("li");
    if (message.from === "bot") {
      li.className = "msg bot rw-response";
      li.appendChild(speaker("窓口："));
      var reference = REFERENCE.exec(message.text);
      var code = CODE.exec(message.text);
      if (reference && code) {
        renderReceipt(li, message.text, reference[1], code[1]);
      } else {
        var p = document.createElement("p");
        p.className = "text";
        appendRichText(p, message.text);
        li.appendChild(p);
      }
      if (message.replies && message.replies.length) li.appendChild(renderReplies(message.replies));
    } else {
      li.className = "msg customer rw-client";
      li.appendChild(speaker("あなた："));
      var q = document.createElement("p");
      q.className = "text";
      q.textContent = message.text;  // the customer's words: never a link
      li.appendChild(q);
    }
    list.appendChild(li);
    return li;
  }

  function renderAll() {
    list.textContent = "";
    state.messages.forEach(renderMessage);
    log.scrollTop = log.scrollHeight;
  }

  function announce(text) {
    var p = document.createElement("p");
    p.textContent = text;
    announcer.appendChild(p);
    while (announcer.childNodes.length > MAX_ANNOUNCED) announcer.removeChild(announcer.firstChild);
  }

  function scrollTo(li, first) {
    // The first message of an answer starts at the top of the view when it is long;
    // otherwise the newest message is at the bottom.
    if (first && li.offsetHeight > log.clientHeight * 0.6) {
      log.scrollTop = li.offsetTop - log.offsetTop - 8;
    } else if (!first && li.previousSibling && burstTop && li.offsetTop + li.offsetHeight - burstTop.offsetTop > log.clientHeight) {
      log.scrollTop = burstTop.offsetTop - log.offsetTop - 8;
    } else {
      log.scrollTop = log.scrollHeight;
    }
  }
  var burstTop = null;

  function setTyping(on) {
    window.clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) {
      typingTimer = window.setTimeout(function () { typing.hidden = true; }, TYPING_GIVE_UP_MS);
      log.scrollTop = log.scrollHeight;
    }
  }

  // Quick replies answer the latest question only: gone once the customer answers.
  function clearReplies() {
    state.messages.forEach(function (message) { delete message.replies; });
    Array.prototype.forEach.call(list.querySelectorAll(".replies"), function (group) {
      group.parentNode.removeChild(group);
    });
  }

  function addMessage(message) {
    state.messages.push(message);
    saveState();
    return renderMessage(message);
  }

  // -- the socket --------------------------------------------------------------------
  var socket = window.io(SOCKET_URL, {
    path: "/socket.io/",
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    autoConnect: false
  });

  function emit(text) {
    if (!confirmed) { queue.push(text); return; }
    socket.emit("user_uttered", { message: text, session_id: state.sessionId, customData: { language: "ja" } });
  }

  function send(shown, payload) {
    clearReplies();
    addMessage({ from: "customer", text: shown });
    log.scrollTop = log.scrollHeight;
    burstStart = true;
    setTyping(true);
    emit(payload || shown);
  }

  socket.on("connect", function () {
    confirmed = false;
    if (!keepNotice) connection.textContent = "";
    keepNotice = false;
    socket.emit("session_request", { session_id: state.sessionId, session_token: state.sessionToken || null });
  });

  socket.on("session_confirm", function (data) {
    var id = typeof data === "string" ? data : data && data.session_id;
    if (!id) return;
    state.sessionId = id;
    state.sessionToken = (data && data.session_token) || null;
    confirmed = true;
    saveState();
    if (!state.messages.length && !awaitingGreeting) {
      awaitingGreeting = true;
      setTyping(true);
      emit(GREET);
    }
    var waiting = queue;
    queue = [];
    waiting.forEach(emit);
  });

  socket.on("bot_uttered", function (data) {
    if (!data || typeof data.text !== "string" || !data.text) return;
    var replies = (Array.isArray(data.quick_replies) ? data.quick_replies : (data.buttons || []))
      .filter(function (r) { return r && typeof r.title === "string" && typeof r.payload === "string"; })
      .map(function (r) { return { title: r.title, payload: r.payload }; });
    if (awaitingGreeting && replies.length) {
      state.menu = replies;
      awaitingGreeting = false;
    }
    setTyping(false);
    var li = addMessage({ from: "bot", text: data.text, replies: replies });
    var first = burstStart;
    if (first) burstTop = li;
    burstStart = false;
    scrollTo(li, first);
    announce(data.text);
  });

  socket.on("disconnect", function (reason) {
    confirmed = false;
    if (reason !== "io client disconnect") connection.textContent = "接続が切れました。再接続しています…";
  });

  socket.on("connect_error", function () {
    connection.textContent = "チャットのサーバーに接続できません。しばらくしてから再度お試しください。";
  });

  // -- the customer's controls ------------------------------------------------------
  box.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.keyCode !== 13 && event.keyCode !== 229) return;
    // Enter that confirms a Japanese conversion (IME) is not a send.
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submit();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });

  function submit() {
    var text = box.value.trim();
    if (!text) { box.focus(); return; }
    box.value = "";
    send(text);
  }

  menuButton.addEventListener("click", function () {
    if (!state.menu) {  // the greeting has not come yet: ask for it
      awaitingGreeting = true;
      clearReplies();
      setTyping(true);
      emit(GREET);
      return;
    }
    clearReplies();
    var li = addMessage({ from: "bot", text: "メニューです。ご用件をお選びください。", replies: state.menu });
    scrollTo(li, true);
    announce("メニューです。ご用件をお選びください。");
    var first = li.querySelector(".reply");
    if (first) first.focus();
  });

  endButton.addEventListener("click", function () {
    if (!window.confirm("会話を終了して、この画面の履歴を消しますか？\n受付番号と確認コードを控えたかお確かめください。")) return;
    socket.disconnect();
    try { window.sessionStorage.removeItem(STORAGE_KEY); } catch (e) { /* storage off */ }
    state = freshState();
    queue = [];
    awaitingGreeting = false;
    setTyping(false);
    list.textContent = "";
    announcer.textContent = "";
    box.value = "";
    connection.textContent = "会話を終了し、この画面の履歴を消しました。新しい会話を始めます。";
    keepNotice = true;
    socket.connect();  // a new session id from the server, and a new greeting
    box.focus();
  });

  renderAll();
  socket.connect();
})();
