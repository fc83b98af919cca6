/** The WebChat page's static HTML and CSS (no build step; the script is served from ./client.ts). */
import { pageShell } from '../web/page-shell.ts';

/** The chat page. No inline script, style or event handler, so the CSP can forbid all of them. */
export const WEBCHAT_HTML = pageShell('edgeclaw chat', '/chat', `<header><h1>edgeclaw</h1><span id="status" data-testid="status">offline</span><button id="logout" type="button" hidden>Forget token</button></header>
<form id="login" data-testid="login" autocomplete="off">
  <label for="token">Gateway token</label>
  <input id="token" name="token" type="password" required maxlength="4096" data-testid="token">
  <button type="submit" data-testid="connect">Connect</button>
  <p id="login-error" class="error" role="alert" data-testid="login-error"></p>
</form>
<main id="chat" hidden>
  <ol id="messages" data-testid="messages" aria-live="polite"></ol>
  <form id="composer" autocomplete="off">
    <textarea id="input" name="message" rows="3" maxlength="65536" placeholder="Message" data-testid="input" required></textarea>
    <button type="submit" id="send" data-testid="send">Send</button>
    <button type="button" id="abort" data-testid="abort" hidden>Stop</button>
  </form>
</main>`);

/** The page's stylesheet. */
export const WEBCHAT_CSS = `
[hidden] { display: none !important; }
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0 auto; max-width: 48rem; padding: 0 1rem; }
header { display: flex; gap: 1rem; align-items: center; }
header h1 { font-size: 1.2rem; flex: 1; }
#status { font-size: .85rem; opacity: .7; }
form#login { display: grid; gap: .5rem; max-width: 24rem; margin-top: 2rem; }
.error { color: #c0392b; min-height: 1.2em; }
#messages { list-style: none; padding: 0; display: grid; gap: .6rem; }
#messages li { padding: .5rem .75rem; border-radius: .5rem; white-space: pre-wrap; overflow-wrap: anywhere; }
#messages li.user { background: #3b82f622; justify-self: end; }
#messages li.assistant { background: #8882; }
#messages li.streaming { border-left: 3px solid #3b82f6; }
#messages li.failed { border-left: 3px solid #c0392b; }
#composer { display: flex; gap: .5rem; align-items: flex-end; position: sticky; bottom: 0; padding: .5rem 0; }
#composer textarea { flex: 1; font: inherit; }
`;
