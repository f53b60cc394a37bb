// The status page's script (issue 20): plain browser JavaScript, no framework,
// reads only the admin API of the door that served it. Every value goes into
// the page as text (textContent), never as HTML. Written without template
// literals so it can live in this String.raw text.
export const STATUS_JS = String.raw`'use strict';
(function () {
  var REFRESH_MS = 5000;
  var PAGE = 50;
  var TOKEN_KEY = 'onem2m-ws-bridge.admin-token';
  var $ = function (id) { return document.getElementById(id); };

  var state = { cursors: [''], page: 0, next: undefined, q: '', online: '', detailId: undefined, paused: false, timer: undefined };

  // ---- the admin API, with the token when the bridge wants one
  var tokenWaiters = null;
  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function askToken(message) {
    if (tokenWaiters !== null) return new Promise(function (resolve) { tokenWaiters.push(resolve); });
    tokenWaiters = [];
    return new Promise(function (resolve) {
      tokenWaiters.push(resolve);
      var d = $('token-dialog');
      $('token-error').textContent = message || '';
      $('token').value = '';
      if (!d.open) d.showModal();
      $('token').focus();
    });
  }
  function tokenGiven() {
    var t = $('token').value.trim();
    if (t === '') { $('token-error').textContent = 'Enter the token the bridge was started with.'; return; }
    try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* private mode: kept for this page only */ memoryToken = t; }
    $('token-dialog').close();
    var waiters = tokenWaiters || [];
    tokenWaiters = null;
    waiters.forEach(function (w) { w(); });
  }
  var memoryToken = '';
  function api(path, options) {
    options = options || {};
    var headers = {};
    var t = token() || memoryToken;
    if (t !== '') headers.Authorization = 'Bearer ' + t;
    return fetch(path, { method: options.method || 'GET', headers: headers, cache: 'no-store' }).then(function (res) {
      if (res.status === 401) {
        var had = t !== '';
        return askToken(had ? 'That token was refused. Enter the admin token.' : '').then(function () { return api(path, options); });
      }
      return res;
    });
  }
  function json(res) {
    if (!res.ok) return res.json().catch(function () { return {}; }).then(function (b) { throw new Error(b.error || ('HTTP ' + res.status)); });
    return res.json();
  }

  // ---- formatting
  function bytes(n) {
    if (n < 1024) return n + ' B';
    var units = ['KiB', 'MiB', 'GiB', 'TiB'];
    var v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return v.toFixed(v < 10 ? 1 : 0) + ' ' + units[i];
  }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    if (d > 0) return d + 'd ' + h + 'h';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + s + 's';
    return s + 's';
  }
  function age(iso) { return iso ? duration((Date.now() - Date.parse(iso)) / 1000) : '–'; }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : '–'; }
  function rate(n) { return n < 10 ? n.toFixed(1) : String(Math.round(n)); }
  function setState(el, up, yes, no) { el.textContent = up ? yes : no; el.className = 'state ' + (up ? 'up' : 'down'); }

  // ---- the bridge
  function showStatus(s) {
    $('version').textContent = 'v' + s.version;
    $('s-uptime').textContent = duration(s.uptimeSeconds);
    $('s-node').textContent = 'Node ' + s.node;
    $('s-replica').textContent = s.replica;
    $('s-mode').textContent = s.clustered ? 'cluster (Redis)' : 'single node';
    setState($('s-store-state'), s.store.up, 'up', 'down');
    $('s-store').textContent = s.store.description;
    setState($('s-upstream-state'), s.upstream.up, 'reachable', 'unreachable');
    $('s-upstream').textContent = s.upstream.url;
    $('s-connections').textContent = String(s.connections.total);
    var parts = Object.keys(s.connections.bySubprotocol).sort().map(function (k) { return k + ' ' + s.connections.bySubprotocol[k]; });
    $('s-subprotocols').textContent = parts.length > 0 ? parts.join(' · ') : 'none open';
    $('s-registrees').textContent = String(s.registrees.online + s.registrees.offline);
    $('s-registrees-sub').textContent = s.registrees.online + ' online · ' + s.registrees.offline + ' offline';
    $('s-rate').textContent = rate(s.requestsPerSecond.uplink) + ' · ' + rate(s.requestsPerSecond.downlink);
    $('s-queue').textContent = String(s.queue.messages);
    $('s-queue-bytes').textContent = bytes(s.queue.bytes);
  }

  // ---- the registree table
  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function showRegistrees(list) {
    var body = document.querySelector('#registrees tbody');
    var rows = document.createDocumentFragment();
    var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : undefined;
    list.forEach(function (r) {
      var tr = document.createElement('tr');
      tr.dataset.id = r.id;
      var first = document.createElement('td');
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'link';
      b.textContent = r.id;
      b.dataset.id = r.id;
      b.title = r.id;
      b.addEventListener('click', function () { openDetail(r.id); });
      first.appendChild(b);
      tr.appendChild(first);
      cell(tr, r.kind === 'cse' ? 'CSE' : 'AE');
      cell(tr, r.online ? 'online' : 'offline', 'state ' + (r.online ? 'online' : 'offline'));
      cell(tr, r.replica || (r.online ? 'this' : '–'), 'wide');
      cell(tr, r.subprotocol || '–', 'wide');
      cell(tr, r.remoteAddress || '–', 'wide');
      cell(tr, r.connectedSince ? when(r.connectedSince) : '–', 'wide');
      cell(tr, String(r.queuedMessages), 'num queued');
      cell(tr, bytes(r.queuedBytes), 'num');
      cell(tr, r.oldestQueuedAt ? age(r.oldestQueuedAt) : '–', 'num');
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    $('empty').hidden = list.length > 0;
    if (focused !== undefined) {
      var again = body.querySelector('button[data-id="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
  }
  function pageUrl() {
    var p = new URLSearchParams({ limit: String(PAGE) });
    if (state.q !== '') p.set('q', state.q);
    if (state.online !== '') p.set('online', state.online);
    var after = state.cursors[state.page];
    if (after !== '') p.set('after', after);
    return '/api/registrees?' + p.toString();
  }
  function nextCursor(res) {
    var link = res.headers.get('Link') || '';
    var m = /<([^>]*)>\s*;\s*rel="next"/.exec(link);
    if (!m) return undefined;
    return new URL(m[1], location.href).searchParams.get('after') || undefined;
  }
  function loadRegistrees() {
    return api(pageUrl()).then(function (res) {
      state.next = res.ok ? nextCursor(res) : undefined;
      return json(res);
    }).then(function (list) {
      showRegistrees(list);
      $('prev').disabled = state.page === 0;
      $('first').disabled = state.page === 0;
      $('next').disabled = state.next === undefined;
      $('page-info').textContent = 'page ' + (state.page + 1) + (list.length === 0 ? '' : ' · ' + list.length + ' shown');
    });
  }

  // ---- one registree
  function fact(dl, name, value) {
    var dt = document.createElement('dt');
    dt.textContent = name;
    var dd = document.createElement('dd');
    dd.textContent = value;
    dl.appendChild(dt);
    dl.appendChild(dd);
  }
  function showDetail(r) {
    $('detail-h').textContent = r.id;
    var f = $('detail-facts');
    f.replaceChildren();
    fact(f, 'State', r.online ? 'online' : 'offline');
    fact(f, 'Kind', r.kind === 'cse' ? 'remoteCSE' : 'AE');
    if (r.replica) fact(f, 'Replica', r.replica);
    if (r.subprotocol) fact(f, 'Subprotocol', r.subprotocol);
    if (r.remoteAddress) fact(f, 'Remote address', r.remoteAddress);
    if (r.connectedSince) fact(f, 'Connected since', when(r.connectedSince));
    fact(f, 'Registered', when(r.registration.createdAt));
    if (r.registration.rn) fact(f, 'Resource name', r.registration.rn);
    if (r.registration.ri) fact(f, 'Resource ID', r.registration.ri);
    if (r.registration.identity) fact(f, 'Certificate', r.registration.identity);
    var q = $('detail-queue');
    q.replaceChildren();
    fact(q, 'Stored requests', String(r.queue.messages));
    fact(q, 'Bytes', bytes(r.queue.bytes));
    fact(q, 'Oldest', r.queue.oldestStoredAt ? when(r.queue.oldestStoredAt) + ' (' + age(r.queue.oldestStoredAt) + ' ago)' : '–');
    fact(q, 'Next expiry', r.queue.nextExpiresAt ? when(r.queue.nextExpiresAt) : '–');
    var rows = document.createDocumentFragment();
    r.queue.bySur.forEach(function (s) {
      var tr = document.createElement('tr');
      cell(tr, s.sur === null ? '(no sur)' : s.sur);
      cell(tr, String(s.messages), 'num');
      cell(tr, bytes(s.bytes), 'num');
      cell(tr, age(s.oldestStoredAt), 'num');
      rows.appendChild(tr);
    });
    document.querySelector('#detail-sur tbody').replaceChildren(rows);
    $('detail-sur').parentElement.hidden = r.queue.bySur.length === 0;
  }
  function loadDetail() {
    if (state.detailId === undefined) return Promise.resolve();
    return api('/api/registrees/' + encodeURIComponent(state.detailId)).then(function (res) {
      if (res.status === 404) { $('detail-error').textContent = 'This registree is gone.'; $('delete').disabled = true; return; }
      return json(res).then(showDetail);
    });
  }
  function openDetail(id) {
    state.detailId = id;
    $('detail-error').textContent = '';
    $('confirm').hidden = true;
    $('delete').disabled = false;
    $('detail-h').textContent = id;
    $('detail').showModal();
    loadDetail().catch(function (e) { $('detail-error').textContent = e.message; });
    $('detail-close').focus();
  }
  function closeDetail() {
    state.detailId = undefined;
    if ($('detail').open) $('detail').close();
  }
  function removeRegistree() {
    var id = state.detailId;
    if (id === undefined) return;
    $('confirm-yes').disabled = true;
    api('/api/registrees/' + encodeURIComponent(id), { method: 'DELETE' }).then(function (res) {
      $('confirm-yes').disabled = false;
      if (res.status !== 204 && res.status !== 404) return json(res);
      closeDetail();
      return refresh();
    }).catch(function (e) { $('confirm-yes').disabled = false; $('detail-error').textContent = e.message; });
  }

  // ---- refreshing
  function refresh() {
    var done = Promise.all([
      api('/api/status').then(json).then(showStatus),
      loadRegistrees(),
      loadDetail(),
    ]);
    return done.then(function () {
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    }, function (e) {
      $('updated').textContent = 'update failed: ' + e.message;
    });
  }
  function schedule() {
    clearTimeout(state.timer);
    if (state.paused) return;
    state.timer = setTimeout(function () { refresh().then(schedule); }, REFRESH_MS);
  }
  function restartList() {
    state.cursors = [''];
    state.page = 0;
    loadRegistrees().catch(function (e) { $('updated').textContent = 'update failed: ' + e.message; });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var typing;
    $('filter').addEventListener('input', function () {
      clearTimeout(typing);
      typing = setTimeout(function () { state.q = $('filter').value.trim(); restartList(); }, 250);
    });
    $('online').addEventListener('change', function () { state.online = $('online').value; restartList(); });
    $('first').addEventListener('click', function () { state.page = 0; state.cursors = ['']; loadRegistrees(); });
    $('prev').addEventListener('click', function () { if (state.page > 0) { state.page--; loadRegistrees(); } });
    $('next').addEventListener('click', function () {
      if (state.next === undefined) return;
      state.cursors = state.cursors.slice(0, state.page + 1).concat([state.next]);
      state.page++;
      loadRegistrees();
    });
    $('pause').addEventListener('click', function () {
      state.paused = !state.paused;
      $('pause').textContent = state.paused ? 'Resume' : 'Pause';
      $('pause').setAttribute('aria-pressed', String(state.paused));
      if (!state.paused) refresh();
      schedule();
    });
    $('detail-close').addEventListener('click', closeDetail);
    $('detail').addEventListener('close', function () { state.detailId = undefined; });
    $('delete').addEventListener('click', function () {
      $('confirm-text').textContent = 'Remove ' + state.detailId + '? Its connection is closed, its stored requests are dropped and the bridge forgets its registration. The CSE keeps its resource.';
      $('confirm').hidden = false;
      $('confirm-no').focus();
    });
    $('confirm-no').addEventListener('click', function () { $('confirm').hidden = true; $('delete').focus(); });
    $('confirm-yes').addEventListener('click', removeRegistree);
    $('token-ok').addEventListener('click', tokenGiven);
    $('token').addEventListener('keydown', function (e) { if (e.key === 'Enter') tokenGiven(); });
    $('token-dialog').addEventListener('cancel', function (e) { e.preventDefault(); });
    refresh().then(schedule);
  });
})();
`;
