// Starts the rasa-webchat widget on Rasa's socket.io channel. The session id
// is kept in localStorage, so the conversation survives a page reload.
(function () {
  var socketUrl = document.currentScript.dataset.socketUrl;
  window.WebChat.default({
    initPayload: "/greet",
    socketUrl: socketUrl,
    socketPath: "/socket.io/",
    embedded: true,
    showFullScreenButton: false,
    title: "個人情報お問い合わせ窓口",
    subtitle: "多摩ケーブルネットワーク",
    inputTextFieldHint: "ご質問を入力してください",
    connectingText: "接続しています…",
    params: { storage: "local" },
    customData: { language: "ja" }
  }, document.getElementById("webchat"));
})();
