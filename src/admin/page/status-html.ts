// The status page's HTML (issue 20): a static shell, no data in it; status.js
// fills it from the admin API. Shipped as text inside the package (dist/), so
// nothing is fetched from anywhere but the admin door itself.
export const STATUS_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>onem2m-ws-bridge status</title>
<link rel="stylesheet" href="status.css">
<script src="status.js" defer></script>
</head>
<body>
<header class="top">
  <h1>onem2m-ws-bridge <span id="version" class="muted"></span></h1>
  <p class="muted"><span id="updated" aria-live="polite">loading…</span> <button id="pause" type="button" aria-pressed="false">Pause</button></p>
</header>
<main>
<section aria-label="Bridge">
  <dl class="tiles">
    <div class="tile"><dt>Uptime</dt><dd id="s-uptime">–</dd><dd id="s-node" class="sub">&nbsp;</dd></div>
    <div class="tile"><dt>Replica</dt><dd id="s-replica">–</dd><dd id="s-mode" class="sub">&nbsp;</dd></div>
    <div class="tile"><dt>Store</dt><dd><span id="s-store-state" class="state">–</span></dd><dd id="s-store" class="sub">&nbsp;</dd></div>
    <div class="tile"><dt>Upstream</dt><dd><span id="s-upstream-state" class="state">–</span></dd><dd id="s-upstream" class="sub">&nbsp;</dd></div>
    <div class="tile"><dt>Connections</dt><dd id="s-connections">–</dd><dd id="s-subprotocols" class="sub">&nbsp;</dd></div>
    <div class="tile"><dt>Registrees</dt><dd id="s-registrees">–</dd><dd id="s-registrees-sub" class="sub">&nbsp;</dd></div>
    <div class="tile"><dt>Requests/s</dt><dd id="s-rate">–</dd><dd class="sub">up · down</dd></div>
    <div class="tile"><dt>Queued</dt><dd id="s-queue">–</dd><dd id="s-queue-bytes" class="sub">&nbsp;</dd></div>
  </dl>
</section>
<section aria-labelledby="reg-h">
  <div class="bar">
    <h2 id="reg-h">Registrees</h2>
    <label>Filter <input id="filter" type="search" placeholder="part of an ID" autocomplete="off" spellcheck="false"></label>
    <label>State <select id="online"><option value="">all</option><option value="true">online</option><option value="false">offline</option></select></label>
  </div>
  <p class="muted hint">What waits comes first: most stored requests at the top. Choose an ID for its details.</p>
  <div class="table-wrap">
    <table id="registrees">
      <thead><tr>
        <th scope="col">ID</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col" class="wide">Replica</th>
        <th scope="col" class="wide">Subprotocol</th><th scope="col" class="wide">Remote address</th><th scope="col" class="wide">Connected since</th>
        <th scope="col" class="num">Queued</th><th scope="col" class="num">Bytes</th><th scope="col" class="num">Oldest</th>
      </tr></thead>
      <tbody></tbody>
    </table>
  </div>
  <p id="empty" class="muted" hidden>No registree matches.</p>
  <nav class="pager" aria-label="Pages">
    <button id="first" type="button">First page</button>
    <button id="prev" type="button">Previous</button>
    <button id="next" type="button">Next</button>
    <span id="page-info" class="muted"></span>
  </nav>
</section>
</main>
<dialog id="detail" aria-labelledby="detail-h">
  <h2 id="detail-h"></h2>
  <dl id="detail-facts" class="facts"></dl>
  <h3>Queue</h3>
  <dl id="detail-queue" class="facts"></dl>
  <div class="table-wrap"><table id="detail-sur"><thead><tr><th scope="col">sur</th><th scope="col" class="num">Queued</th><th scope="col" class="num">Bytes</th><th scope="col" class="num">Oldest</th></tr></thead><tbody></tbody></table></div>
  <div class="actions">
    <button id="delete" type="button" class="danger">Remove registree…</button>
    <button id="detail-close" type="button">Close</button>
  </div>
  <div id="confirm" class="confirm" hidden>
    <p id="confirm-text"></p>
    <button id="confirm-yes" type="button" class="danger">Remove</button>
    <button id="confirm-no" type="button">Keep</button>
  </div>
  <p id="detail-error" class="error" role="alert"></p>
</dialog>
<dialog id="token-dialog" aria-labelledby="token-h">
  <h2 id="token-h">Admin token</h2>
  <p>This bridge was started with <code>--admin-token</code>. The token is kept in this tab only (session storage).</p>
  <label>Token <input id="token" type="password" autocomplete="off"></label>
  <p id="token-error" class="error" role="alert"></p>
  <div class="actions"><button id="token-ok" type="button">Use token</button></div>
</dialog>
</body>
</html>
`;
