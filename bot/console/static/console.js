// The staff console's one script (CSP: script-src 'self'). Every page works without it;
// it adds the queue's own refresh, the optional desktop notification, the print button and
// the live view of a handoff's chat (new messages appear without reloading).
'use strict';

(() => {
  // Sent with the refresh's requests: the server does not count them as the user at work
  // (the idle timeout still ends the session) and answers 401 once it has ended.
  const REFRESH_HEADERS = {'X-Console-Refresh': '1'};
  const NOTIFY_KEY = 'tcn-console-notify';  // "on" when the user asked for notifications

  function setUpPrinting() {
    for (const button of document.querySelectorAll('button[data-print]')) {
      button.hidden = false;
      button.addEventListener('click', () => window.print());
    }
  }

  function notificationsWanted() {
    return 'Notification' in window && Notification.permission === 'granted'
      && localStorage.getItem(NOTIFY_KEY) === 'on';
  }

  function setUpNotifyButton(button, say) {
    if (!('Notification' in window)) return;
    const label = () => {
      button.textContent = notificationsWanted()
        ? 'デスクトップ通知をやめる' : '新着をデスクトップに通知する';
    };
    button.hidden = false;
    label();
    button.addEventListener('click', async () => {
      if (notificationsWanted()) {
        localStorage.removeItem(NOTIFY_KEY);
      } else if (await Notification.requestPermission() === 'granted') {
        localStorage.setItem(NOTIFY_KEY, 'on');
      } else {
        say('ブラウザーで通知が許可されていません。ブラウザーの設定から許可してください。');
      }
      label();
    });
  }

  // No names or other personal data: a notification may show on a locked screen.
  function notify(grown) {
    if (!notificationsWanted() || !grown.length) return;
    const note = new Notification('個人情報お問い合わせ 対応コンソール', {
      body: grown.join('、'), tag: 'tcn-console-queue', lang: 'ja'});
    note.addEventListener('click', () => window.focus());
  }

  // Swap in the fresh parts of the queue page, keeping focus on the same link if it was
  // inside them (DOMParser builds inert nodes: nothing of the fetched page runs).
  function swap(freshDocument) {
    const focused = document.activeElement && document.activeElement.getAttribute('href');
    for (const id of ['status-counts', 'queue-results']) {
      const fresh = freshDocument.getElementById(id);
      const old = document.getElementById(id);
      if (fresh && old) old.replaceWith(document.adoptNode(fresh));
    }
    if (focused) {
      const again = [...document.querySelectorAll('#queue-results a, #status-counts a')]
        .find((link) => link.getAttribute('href') === focused);
      if (again) again.focus();
    }
  }

  function setUpRefresh(box) {
    const status = document.getElementById('refresh-status');
    const say = (text) => { status.textContent = text; };
    const every = Math.max(1, Number(box.dataset.refreshSeconds) || 30) * 1000;
    // What the list on screen was made from: its stamp and its numbers of marks.
    const shown = () => (document.getElementById('queue-results') || {dataset: {}}).dataset;

    async function fetchOrReload(url) {
      const response = await fetch(url, {headers: REFRESH_HEADERS, credentials: 'same-origin'});
      if (response.status === 401) {  // logged out (idle): the login page says why
        window.location.reload();
        return null;
      }
      return response.ok ? response : null;
    }

    async function poll() {
      try {
        const response = await fetchOrReload(box.dataset.activityUrl);
        if (!response) return;
        const activity = await response.json();
        const before = shown();
        if (activity.stamp === before.stamp) return;
        const grown = [];
        const newer = activity.new - Number(before.new || 0);
        const unread = activity.unread - Number(before.unread || 0);
        if (newer > 0) grown.push(`新しい案件が ${newer} 件あります`);
        if (unread > 0) grown.push(`お客様からの新しいメッセージが ${unread} 件あります`);
        const late = activity.escalated - Number(before.escalated || 0);
        if (late > 0) grown.push(`応答を待っている担当者対応が ${late} 件あります`);
        const page = await fetchOrReload(window.location.href);
        if (!page) return;
        swap(new DOMParser().parseFromString(await page.text(), 'text/html'));
        const time = new Date().toLocaleTimeString('ja-JP', {hour: '2-digit', minute: '2-digit'});
        say(`${time} に一覧を新しくしました。${grown.join('。')}`);
        notify(grown);
      } catch (error) {
        say('一覧を新しくできませんでした。接続を確かめてください（自動で再度試します）。');
      } finally {
        window.setTimeout(poll, every);
      }
    }

    setUpNotifyButton(document.getElementById('notify'), say);
    window.setTimeout(poll, every);
  }

  // 「2026-12-08 09:05」 in Japan time, as the server's `jst` filter writes it.
  function japanTime(iso) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]));
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  }

  // One message of the live view, built as the ticket page's template builds it (text
  // only: nothing the customer typed is parsed as markup).
  function messageItem(message) {
    const item = document.createElement('li');
    item.className = message.speaker;
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `${japanTime(message.at)} ${message.label}`;
    const text = document.createElement('div');
    text.className = 'text';
    text.textContent = message.text + (message.clicked ? ' （ボタンを選択）' : '');
    item.append(meta, text);
    if (message.buttons.length) {
      const buttons = document.createElement('div');
      buttons.className = 'buttons';
      buttons.textContent = `選択肢: ${message.buttons.join(' / ')}`;
      item.append(buttons);
    }
    return item;
  }

  // The handoff's chat on the ticket page: asks for the messages after those shown every
  // CHAT_POLL_MS, until the chat is over.
  const CHAT_POLL_MS = 3000;
  function setUpChat(log) {
    const status = document.getElementById('chat-status');
    const holder = document.getElementById('chat-holder');
    log.scrollTop = log.scrollHeight;  // the latest messages first in view
    async function poll() {
      let again = true;
      try {
        const url = `${log.dataset.conversationUrl}?after=${log.dataset.count}`;
        const response = await fetch(url, {headers: REFRESH_HEADERS, credentials: 'same-origin'});
        if (response.status === 401) {
          window.location.reload();
          return;
        }
        if (!response.ok) throw new Error(String(response.status));
        const update = await response.json();
        for (const message of update.messages) log.append(messageItem(message));
        if (update.messages.length) log.scrollTop = log.scrollHeight;
        if (update.messages.some((message) => message.speaker === 'user')) {
          status.textContent = 'お客様から新しいメッセージが届きました。';
        }
        log.dataset.count = String(update.count);
        if (holder) {
          holder.textContent = update.holder ? `${update.holder}さんが対応中です。` : 'まだ誰も担当していません。';
        }
        if (!update.live) {
          status.textContent = 'このチャットは終了しました。';
          again = false;
        }
      } catch (error) {
        status.textContent = '新しいメッセージを確認できませんでした（自動で再度試します）。';
      } finally {
        if (again) window.setTimeout(poll, CHAT_POLL_MS);
      }
    }
    window.setTimeout(poll, CHAT_POLL_MS);
  }

  setUpPrinting();
  const box = document.querySelector('[data-activity-url]');
  if (box) setUpRefresh(box);
  const chat = document.getElementById('chat-log');
  if (chat) setUpChat(chat);
})();
