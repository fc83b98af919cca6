/** The control page's HTML and CSS (no inline script or style: the strict CSP allows only same-origin files). */
import { pageShell } from '../web/page-shell.ts';

/** The page shell; /control/app.js fills it in. */
export const CONTROL_HTML = pageShell('edgeclaw control', '/control', `<header><h1>edgeclaw</h1><span id="conn" class="badge">disconnected</span><button id="logout" type="button" hidden>Sign out</button></header>
<form id="login" autocomplete="off">
  <label for="token">Gateway token</label>
  <input id="token" name="token" type="password" required minlength="8" placeholder="token printed by edgeclaw start">
  <button type="submit">Connect</button>
  <p id="login-error" class="error" role="alert"></p>
</form>
<main id="main" hidden>
  <section><h2>Status</h2><dl id="status"></dl></section>
  <section><h2>Approvals</h2><p id="approvals-note" class="muted"></p><ul id="approvals"></ul></section>
  <section><h2>Channels</h2><p id="channels-note" class="muted"></p><ul id="channels"></ul></section>
  <section><h2>Usage</h2><p id="usage-note" class="muted"></p><dl id="usage"></dl><ul id="usage-models"></ul></section>
  <section class="wide"><h2>Defender decisions</h2><p id="decisions-note" class="muted"></p><ul id="decisions"></ul></section>
  <section class="wide"><h2>Sessions</h2><div class="split"><ul id="sessions"></ul><div><h3 id="history-title">History</h3><ol id="history"></ol></div></div></section>
  <section class="wide"><h2>Recent logs</h2><p id="logs-note" class="muted"></p><pre id="logs"></pre></section>
</main>`);

/** The page's stylesheet. */
export const CONTROL_CSS = `
:root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; }
[hidden] { display: none !important; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem; }
header { display: flex; gap: 1rem; align-items: center; }
h1 { font-size: 1.3rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
h3 { font-size: .95rem; margin: 0 0 .4rem; }
.badge { padding: .1rem .5rem; border-radius: 1rem; background: #8884; }
.badge.ok { background: #2a73; }
.error { color: #c33; }
.muted { color: #888; }
form#login { display: grid; gap: .5rem; max-width: 26rem; margin-top: 2rem; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin-top: 1rem; }
section { border: 1px solid #8884; border-radius: .5rem; padding: .75rem; overflow: hidden; }
section.wide { grid-column: 1 / -1; }
.split { display: grid; grid-template-columns: minmax(12rem, 1fr) 2fr; gap: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: 0; }
dt { color: #888; }
ul, ol { margin: 0; padding-left: 1.2rem; max-height: 22rem; overflow: auto; }
#sessions li { cursor: pointer; }
#sessions li.selected { font-weight: bold; }
#approvals li { margin-bottom: .5rem; }
#approvals button { margin-right: .3rem; }
pre#logs { max-height: 18rem; overflow: auto; font-size: 12px; margin: 0; white-space: pre-wrap; word-break: break-all; }
.role { font-weight: bold; margin-right: .4rem; }
.verdict { font-weight: bold; margin-right: .4rem; text-transform: uppercase; font-size: 12px; }
.verdict.block { color: #c33; }
.verdict.review { color: #b80; }
.verdict.allow { color: #2a7; }
#decisions li, #channels li { margin-bottom: .35rem; }
`;
