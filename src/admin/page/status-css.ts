// The status page's style sheet (issue 20): readable from a phone to a wall
// screen, fixed sizes where numbers change so a refresh never shifts layout.
export const STATUS_CSS = String.raw`:root {
  --bg: #f7f7f5; --fg: #1d1f21; --muted: #5c6166; --line: #d8dadc; --tile: #ffffff;
  --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; --accent: #0b5cad; --focus: #f0b400;
  color-scheme: light dark;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: clamp(14px, 0.55vw + 11px, 26px);
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #15171a; --fg: #e6e6e3; --muted: #a0a6ad; --line: #33373c; --tile: #1e2125; --ok: #4cc46a; --bad: #ff6b6b; --warn: #e0b341; --accent: #6fb1ff; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.4; }
main, .top { max-width: 120rem; margin: 0 auto; padding: 0 1rem; }
.top { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0 1rem; }
h1 { font-size: 1.4rem; margin: 0.8rem 0 0.2rem; }
h2 { font-size: 1.15rem; margin: 0; }
h3 { font-size: 1rem; margin: 1rem 0 0.3rem; }
.muted { color: var(--muted); }
.hint { margin: 0.2rem 0 0.5rem; font-size: 0.9rem; }
button, input, select { font: inherit; color: inherit; }
button { background: var(--tile); border: 1px solid var(--line); border-radius: 0.3rem; padding: 0.25rem 0.7rem; cursor: pointer; }
button:disabled { opacity: 0.45; cursor: default; }
button.danger { border-color: var(--bad); color: var(--bad); }
button.link { border: 0; background: none; padding: 0; color: var(--accent); text-decoration: underline; text-align: left; max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
input, select { background: var(--tile); border: 1px solid var(--line); border-radius: 0.3rem; padding: 0.2rem 0.4rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.6rem; margin: 0.6rem 0 1.2rem; }
.tile { background: var(--tile); border: 1px solid var(--line); border-radius: 0.4rem; padding: 0.5rem 0.7rem; min-width: 0; }
.tile dt { color: var(--muted); font-size: 0.85rem; }
.tile dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tile dd.sub { font-size: 0.8rem; color: var(--muted); }
.state { font-weight: 600; }
.up, .online { color: var(--ok); }
.down { color: var(--bad); }
.offline { color: var(--warn); }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.2rem; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 0.4rem; background: var(--tile); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--line); white-space: nowrap; height: 2.1rem; }
td:first-child { max-width: 22rem; overflow: hidden; text-overflow: ellipsis; }
th { font-size: 0.85rem; color: var(--muted); font-weight: 600; }
.num { text-align: right; }
tbody tr:hover { background: rgba(127, 127, 127, 0.08); }
.pager { display: flex; align-items: center; gap: 0.5rem; margin: 0.6rem 0 1.5rem; }
dialog { border: 1px solid var(--line); border-radius: 0.5rem; background: var(--tile); color: var(--fg); width: min(46rem, 96vw); max-height: 92vh; }
dialog::backdrop { background: rgba(0, 0, 0, 0.35); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.5rem 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.actions, .confirm { display: flex; gap: 0.6rem; margin-top: 1rem; flex-wrap: wrap; align-items: center; }
.confirm p { flex-basis: 100%; margin: 0; }
.error { color: var(--bad); min-height: 1.4em; margin: 0.4rem 0 0; }
@media (max-width: 40rem) {
  .wide { display: none; }
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  td:first-child { max-width: 11rem; }
}
`;
