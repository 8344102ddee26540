/* SEEI live cards: each [data-live-lot] element follows its room's snapshots over the room's
   WebSocket (the best price, the bids, the status, the close) and counts down on the server's clock
   (the offset measured from the frames' server time). A small page script: the room page has room.js. */
(function () {
  "use strict";
  var cards = document.querySelectorAll("[data-live-lot]");
  if (!cards.length || !window.WebSocket) return;
  var decoder = new TextDecoder();
  var offset = 0; // server time minus this browser's

  function field(card, name) { return card.querySelector('[data-live="' + name + '"]'); }
  function setText(node, text) { if (node && node.textContent !== text) node.textContent = text; }
  function hms(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function follow(card) {
    var lot = card.getAttribute("data-live-lot");
    var snap = null, backoff = 500;
    function show() {
      if (!snap) return;
      var status = field(card, "status");
      if (status) setText(status, status.getAttribute("data-" + snap.status) || snap.status);
      setText(field(card, "bids"), String(snap.bids));
      if (snap.best) setText(field(card, "best"), snap.best + " " + snap.currency);
      var closes = field(card, "closes-at");
      if (closes && closes.getAttribute("datetime") !== snap.closes_at) {
        closes.setAttribute("datetime", snap.closes_at);
        closes.textContent = new Date(snap.closes_at).toLocaleTimeString();
      }
    }
    function tick() {
      if (!snap) return;
      var until = snap.status === "scheduled" ? snap.opens_at : snap.closes_at;
      var left = snap.status === "closed" ? 0 : Date.parse(until) - (Date.now() + offset);
      setText(field(card, "countdown"), hms(left));
    }
    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + location.host + "/room/lots/" + lot + "/ws");
      socket.binaryType = "arraybuffer";
      socket.onopen = function () { backoff = 500; };
      socket.onmessage = function (event) {
        var message;
        try { message = JSON.parse(typeof event.data === "string" ? event.data : decoder.decode(event.data)); }
        catch (e) { return; }
        if (message.server_time) offset = Date.parse(message.server_time) - Date.now();
        if (message.type === "time" || message.type === "pong") return;
        if (!snap || message.seq >= snap.seq) { snap = message; show(); tick(); }
      };
      socket.onclose = function (event) {
        if (event.code === 4403 || event.code === 4401) return; // no longer allowed, or logged out
        window.setTimeout(connect, backoff + Math.random() * 250);
        backoff = Math.min(15000, backoff * 2);
      };
    }
    connect();
    window.setInterval(tick, 1000);
  }
  Array.prototype.forEach.call(cards, follow);
})();
