/* SEEI live room: the lot's snapshot pushed over a WebSocket, a countdown on the server's
 * clock, and (for a bidder) the bid form. Small vanilla JS, no framework.
 *
 * The page renders everything once on the server; this script keeps it live:
 * - every frame is the same snapshot for every viewer; the page finds its own pseudonym in it;
 * - a frame of new bids carries their history lines; a gap in sequence numbers (a frame missed)
 *   fetches the history a few seconds later; a reconnect, a return to the tab or a wake from sleep
 *   fetch the snapshot over HTTP and measure the clock offset again (GET /room/time round trip);
 * - the countdown is closes_at minus the server's time (our clock plus the measured offset), from the
 *   first paint: the offset is taken from the server time the page was rendered with, then measured
 *   (GET /room/time) at once and again while the socket is down, so a wrong clock on this machine
 *   never shows a wrong countdown, socket or not;
 * - the feed is stale while the socket is down or the server says its own feed is ("live": false in
 *   its clock frames): a notice says so until the feed is live again and the snapshot read afresh.
 * The socket is only listened to: nothing is ever sent but a ping.
 */
(function () {
  "use strict";

  var root = document.getElementById("room");
  var configNode = document.getElementById("room-config");
  if (!root || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var T = config.strings;
  var lang = config.lang;
  var mine = config.pseudonym || null; // set for a bidder only
  var RECONNECT_MAX = 5000, WATCHDOG = 15000, ME_DELAY = 400, HISTORY_DELAY = 2000, CLOCK_EVERY = 30000;

  var state = { snap: config.snapshot || null, offset: 0, rtt: 0, me: config.me || null };
  var socket = null, backoff = 500, lastMessage = Date.now(), lastTick = Date.now();
  var reconnectTimer = null, meTimer = null, historyTimer = null, stopped = false, lastAnnouncedRank = null;
  var feedLive = true, stale = false, lastMeasure = 0; // feedLive: the server's own feed (its clock frames say)
  var history = config.history || [];

  function $(name) { return document.querySelector('[data-field="' + name + '"]'); }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key] == null ? "" : values[key]; });
  }
  function setText(name, text) { var node = $(name); if (node && node.textContent !== text) node.textContent = text; }

  // Amounts as reasons.format_amount writes them: "1 200,00" (ar, fr) or "1,200.00" (en).
  var MARKS = { ar: ["\u00a0", ","], fr: ["\u00a0", ","], en: [",", "."] };
  function money(text) {
    if (text == null) return "";
    var marks = MARKS[lang] || MARKS.fr, parts = String(text).split("."), integer = parts[0], groups = [];
    while (integer.length > 3) { groups.unshift(integer.slice(-3)); integer = integer.slice(0, -3); }
    groups.unshift(integer);
    return groups.join(marks[0]) + (parts[1] ? marks[1] + parts[1] : "") + "\u00a0" + config.currency;
  }
  var timeFormat = new Intl.DateTimeFormat(lang === "ar" ? "ar-MA" : lang, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: config.time_zone, numberingSystem: "latn"
  });
  function clockTime(iso) { return iso ? timeFormat.format(new Date(iso)) : ""; }
  function serverNow() { return Date.now() + state.offset; }

  // --- the clock ------------------------------------------------------------------------------
  function takeServerTime(iso, halfTrip) {
    if (!iso) return;
    state.offset = Date.parse(iso) + (halfTrip || 0) - Date.now();
  }
  function measureClock() {
    var sent = Date.now();
    lastMeasure = sent;
    return fetch(config.urls.time, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        var received = Date.now();
        state.rtt = received - sent;
        state.offset = Date.parse(body.server_time) + state.rtt / 2 - received;
      })
      .catch(function () {});
  }
  function remainingMs(snap) {
    if (!snap) return 0;
    if (snap.status === "open") return Math.max(0, Date.parse(snap.closes_at) - serverNow());
    if (snap.status === "suspended" && snap.remaining_ms != null) return snap.remaining_ms;
    if (snap.status === "scheduled") return Math.max(0, Date.parse(snap.opens_at) - serverNow());
    return 0;
  }
  function hms(ms) {
    var s = Math.ceil(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s = s % 60;
    return (h ? h + ":" : "") + (h && m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }
  function tick() {
    var now = Date.now();
    if (now - lastTick > 5000) resync(); // the machine slept: our picture is stale
    lastTick = now;
    var snap = state.snap;
    if (!snap) return;
    var left = remainingMs(snap), countdown = $("countdown");
    if (countdown) {
      countdown.textContent = hms(left);
      countdown.setAttribute("datetime", "PT" + Math.ceil(left / 1000) + "S");
    }
    if (snap.status === "open" && left === 0) setText("status", T.status.closed);
    if (socket && socket.readyState === 1 && now - lastMessage > WATCHDOG) socket.close(); // half-open
  }

  // --- the picture ----------------------------------------------------------------------------
  function entryName(entry) { return entry.pseudonym || entry.bidder; }
  function rankOf(snap, who) {
    var ranking = snap.ranking || [];
    for (var i = 0; i < ranking.length; i++) if (entryName(ranking[i]) === who) return ranking[i].rank;
    return null;
  }
  function announce(text) {
    var node = $("announce");
    if (node) { node.textContent = ""; window.setTimeout(function () { node.textContent = text; }, 50); }
  }
  function renderRanking(snap) {
    var body = $("ranking");
    if (!body) return;
    var rows = document.createDocumentFragment();
    (snap.ranking || []).forEach(function (entry) {
      var row = document.createElement("tr");
      var name = entryName(entry);
      if (name === mine) row.className = "mine";
      var cells = [String(entry.rank), name === mine ? fmt(T.you, { pseudonym: name }) : name];
      if (config.show_amounts) cells.push(money(entry.amount));
      cells.push(clockTime(entry.at));
      cells.forEach(function (text, index) {
        var cell = document.createElement(index === 0 ? "th" : "td");
        if (index === 0) cell.scope = "row";
        if (index === 2 && config.show_amounts) { cell.className = "num"; cell.dir = "ltr"; }
        cell.textContent = text;
        row.appendChild(cell);
      });
      rows.appendChild(row);
    });
    body.replaceChildren(rows);
    var empty = $("ranking-empty");
    if (empty) empty.hidden = (snap.ranking || []).length > 0;
  }
  function historyText(entry) {
    var values = { time: clockTime(entry.at), pseudonym: entry.pseudonym, amount: money(entry.amount), best: money(entry.best) };
    if (entry.type !== "bid") return fmt(T.history[entry.type] || entry.type, values);
    if (entry.amount != null) return fmt(T.history.bid_amount, values);
    if (entry.best != null) return fmt(T.history.bid_best, values);
    return fmt(T.history.bid, values);
  }
  function renderHistory() {
    var list = $("history");
    if (!list) return;
    var items = document.createDocumentFragment();
    history.slice().reverse().forEach(function (entry) {
      var item = document.createElement("li");
      if (entry.pseudonym && entry.pseudonym === mine) item.className = "mine";
      item.textContent = historyText(entry);
      items.appendChild(item);
    });
    list.replaceChildren(items);
    var empty = $("history-empty");
    if (empty) empty.hidden = history.length > 0;
  }
  // The one change between two consecutive snapshots, as the history shows it.
  function derive(previous, snap) {
    if (snap.bids === previous.bids + 1) {
      var newest = null;
      (snap.ranking || []).forEach(function (entry) { if (!newest || entry.at > newest.at) newest = entry; });
      if (!newest) return null;
      var entry = { seq: snap.seq, type: "bid", at: newest.at, pseudonym: entryName(newest) };
      if (newest.amount != null) entry.amount = newest.amount;
      else if (snap.best != null) entry.best = snap.best;
      return entry;
    }
    if (snap.status !== previous.status && ["suspended", "closed"].indexOf(snap.status) >= 0)
      return { seq: snap.seq, type: snap.status === "suspended" ? "suspend" : "close", at: snap.server_time };
    if (previous.status === "suspended" && snap.status === "open")
      return { seq: snap.seq, type: "resume", at: snap.server_time };
    return null;
  }
  function render(snap) {
    setText("status", T.status[snap.status] || snap.status);
    setText("countdown-label", snap.status === "scheduled" ? T.opens_in : T.remaining);
    root.setAttribute("data-status", snap.status);
    var closes = $("closes-at");
    if (closes) { closes.setAttribute("datetime", snap.closes_at); closes.textContent = clockTime(snap.closes_at); }
    setText("extensions", snap.extensions ? fmt(T.extensions, { count: snap.extensions }) : "");
    setText("bidders", String(snap.bidders));
    setText("bid-count", String(snap.bids));
    if (config.show_best) setText("best", snap.best != null ? money(snap.best) : T.no_bid);
    renderRanking(snap);
    if (mine) {
      var rank = rankOf(snap, mine);
      setText("rank", rank ? fmt(T.rank, { rank: rank, count: snap.bidders }) : T.unranked);
      if (rank !== lastAnnouncedRank && lastAnnouncedRank !== null && rank)
        announce(fmt(T.rank_now, { rank: rank, count: snap.bidders }));
      lastAnnouncedRank = rank;
    }
    var winner = $("winner");
    if (winner) {
      winner.hidden = !snap.winner;
      setText("winner-name", snap.winner ? (snap.winner === mine ? fmt(T.you, { pseudonym: snap.winner }) : snap.winner) : "");
    }
    renderForm(snap);
    tick();
  }
  function apply(snap, fromHttp) {
    var previous = state.snap;
    if (previous && snap.seq < previous.seq) return; // an older picture arrived late
    if (!fromHttp) takeServerTime(snap.server_time, state.rtt / 2);
    var gap = previous && snap.seq > previous.seq + 1;
    var events = snap.events || [];
    if (previous && events.length && events[0].seq === previous.seq + 1 && events[events.length - 1].seq === snap.seq) {
      // A frame of new bids brings their history lines: several seqs at once are no gap.
      history.push.apply(history, events);
      renderHistory();
      gap = false;
    } else if (previous && snap.seq === previous.seq + 1) {
      var entry = derive(previous, snap);
      if (entry) { history.push(entry); renderHistory(); }
    } else if (gap && fromHttp) fetchHistory();
    if (previous && snap.closes_at !== previous.closes_at && snap.status === "open")
      announce(fmt(T.extended, { time: clockTime(snap.closes_at) }));
    if (previous && snap.status !== previous.status) announce(T.status[snap.status] || snap.status);
    state.snap = snap;
    if (snap.me) state.me = snap.me;
    render(snap);
    // A missed frame: this one is the latest picture, only the history lines in between are missing.
    if (gap && !fromHttp) historyLater();
    if (mine && !fromHttp && previous && (snap.seq !== previous.seq || snap.status !== previous.status))
      refreshMine();
  }
  function historyLater() {
    // Spread over a few seconds, and one at a time: thousands of viewers may miss the same frame.
    if (historyTimer) return;
    historyTimer = window.setTimeout(function () { historyTimer = null; fetchHistory(); }, HISTORY_DELAY * (1 + Math.random()));
  }

  // --- over HTTP --------------------------------------------------------------------------------
  function getJSON(url) {
    return fetch(url, { cache: "no-store", credentials: "same-origin", headers: { "X-SEEI-Language": lang } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); });
  }
  function fetchSnapshot() {
    // Resolves to whether a fresh snapshot was read.
    return getJSON(config.urls.snapshot).then(function (snap) { apply(snap, true); return true; })
      .catch(function () { return false; });
  }
  function fetchHistory() {
    return getJSON(config.urls.history).then(function (body) { history = body.history; renderHistory(); })
      .catch(function () {});
  }
  function resync() {
    measureClock().then(function () { return Promise.all([fetchSnapshot(), fetchHistory()]); });
    if (!socket || socket.readyState > 1) connect();
  }
  function refreshMine() {
    // The allowed range depends on the others' bids too; only bidders ask, and not at every frame.
    window.clearTimeout(meTimer);
    meTimer = window.setTimeout(fetchSnapshot, ME_DELAY);
  }

  // --- a stale feed ------------------------------------------------------------------------------
  function showStale(on) {
    stale = on;
    var notice = $("feed-stale");
    if (notice) notice.hidden = !on;
    root.setAttribute("data-stale", on ? "true" : "false");
  }
  function socketOpen() { return socket && socket.readyState === 1; }
  function feedState(live) {
    if (live === false) { feedLive = false; showStale(true); return; }
    if (live !== true || feedLive) return;
    // The server's feed is back: frames may have been lost meanwhile; read the snapshot afresh.
    feedLive = true;
    Promise.all([fetchSnapshot(), fetchHistory()]).then(function (read) {
      if (read[0] && feedLive && socketOpen()) showStale(false);
    });
  }

  // --- the socket --------------------------------------------------------------------------------
  var decoder = new TextDecoder();
  function connect() {
    if (stopped) return;
    window.clearTimeout(reconnectTimer);
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + config.urls.ws);
    socket.binaryType = "arraybuffer";
    socket.onopen = function () {
      backoff = 500;
      lastMessage = Date.now();
      feedLive = true; // until this process says otherwise, before its first snapshot
      setText("connection", T.connected);
      root.setAttribute("data-connected", "true");
      // Measured at load already (and on each close when stale): again only once it is stale. The
      // snapshot comes on its own; a gap in seq fetches the history.
      if (Date.now() - lastMeasure > CLOCK_EVERY) measureClock();
    };
    socket.onmessage = function (event) {
      lastMessage = Date.now();
      var data = typeof event.data === "string" ? event.data : decoder.decode(event.data);
      var message;
      try { message = JSON.parse(data); } catch (e) { return; }
      if (message.type === "time") {
        takeServerTime(message.server_time, state.rtt / 2);
        feedState(message.live);
      } else if (message.type !== "pong") {
        apply(message, false);
        if (stale && feedLive) showStale(false); // a snapshot of a live feed: the picture is current
      }
    };
    socket.onclose = function (event) {
      root.setAttribute("data-connected", "false");
      if (event.code === 4403) { stopped = true; setText("connection", T.forbidden); return; }
      if (event.code === 4401) { stopped = true; setText("connection", T.session_ended); return; }
      setText("connection", T.reconnecting);
      showStale(true);
      if (Date.now() - lastMeasure > CLOCK_EVERY) measureClock(); // the countdown without the socket's clock
      reconnectTimer = window.setTimeout(connect, backoff + Math.random() * 250);
      backoff = Math.min(RECONNECT_MAX, backoff * 2);
    };
  }

  // --- the bid form (bidders only) ----------------------------------------------------------------
  var form = $("bid-form");
  var pending = null; // {amount, request_id}: a retry after a network failure reuses the same id
  function renderForm(snap) {
    if (!form) return;
    var open = snap.status === "open";
    var me = state.me;
    form.querySelector("button").disabled = !open;
    form.querySelector("input").disabled = !open;
    if (!open) setText("range", T.no_bid_now);
    else if (me && me.lowest_allowed != null && me.highest_allowed != null) {
      if (parseFloat(me.lowest_allowed) > parseFloat(me.highest_allowed)) setText("range", T.no_range);
      else setText("range", fmt(T.range, { low: money(me.lowest_allowed), high: money(me.highest_allowed) }));
    }
  }
  function newRequestId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function showResult(text, ok) {
    var node = $("bid-result");
    node.textContent = text;
    node.className = ok ? "ok" : "errors";
  }
  function ownAmountInHistory(receipt) {
    // The socket's frame may come before the bid's answer: the line then shows the best price,
    // but the bidder sees its own amounts.
    history.forEach(function (entry) {
      if (entry.seq === receipt.seq) { entry.amount = receipt.amount; delete entry.best; }
    });
    renderHistory();
  }
  function offerReceipt(receipt) {
    // The signed receipt, kept by the bidder: it proves the bid is entry `seq` of the ledger.
    var link = $("receipt");
    if (!link || !receipt) return;
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([JSON.stringify(receipt, null, 2)], { type: "application/json" }));
    link.download = "receipt-" + receipt.lot.replace(/[^A-Za-z0-9-]+/g, "_") + "-" + receipt.seq + ".json";
    link.hidden = false;
  }
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = form.querySelector("input");
      var amount = input.value.trim();
      if (!pending || pending.amount !== amount) pending = { amount: amount, request_id: newRequestId() };
      var button = form.querySelector("button");
      button.disabled = true;
      showResult(T.sending, true);
      fetch(config.urls.bids, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-SEEI-Room": "bid", "X-SEEI-Language": lang },
        body: JSON.stringify(pending)
      })
        .then(function (response) { return response.json(); })
        .then(function (result) {
          // A 503 (the database away, the lot busy): nothing was decided; the same request id
          // goes again with the retry, so the bid can never be counted twice.
          if (result.reason !== "unavailable" && result.reason !== "busy") pending = null;
          showResult(result.message || (result.accepted ? "" : T.refused), result.accepted);
          if (result.accepted) {
            input.value = "";
            offerReceipt(result.receipt);
          } else {
            input.focus();
          }
          if (result.me) state.me = result.me;
          if (result.snapshot) apply(result.snapshot, true);
          else fetchSnapshot();
          if (result.accepted && result.receipt) ownAmountInHistory(result.receipt);
        })
        .catch(function () { showResult(T.network, false); }) // keep `pending`: the retry is idempotent
        .finally(function () { button.disabled = !(state.snap && state.snap.status === "open"); });
    });
  }

  // --- life cycle ---------------------------------------------------------------------------------
  document.addEventListener("visibilitychange", function () { if (!document.hidden) resync(); });
  window.addEventListener("online", resync);
  window.addEventListener("pageshow", function (event) { if (event.persisted) resync(); });
  window.setInterval(tick, 250);
  // The server's time the page was rendered with: the countdown is right from the first paint,
  // whatever this machine's clock says; measured again at once, socket or not.
  if (state.snap) takeServerTime(state.snap.server_time);
  if (state.snap) render(state.snap);
  renderHistory();
  measureClock().then(tick);
  if (config.live) connect();
  window.seeiRoom = { state: state, resync: resync }; // for the end-to-end tests and curious people
})();
