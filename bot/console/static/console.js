// The staff console's one script (CSP: script-src 'self'). Every page works without it;
// it adds the queue's own refresh, the optional desktop notification and the print button.
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

  setUpPrinting();
  const box = document.querySelector('[data-activity-url]');
  if (box) setUpRefresh(box);
})();
