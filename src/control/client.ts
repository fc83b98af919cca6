/**
 * The control page's script (served as /control/app.js). Plain browser JS in a string so both runtimes serve it
 * without a build step. Renders only with textContent (never innerHTML); the token lives in sessionStorage.
 */

/** The script. */
export const CONTROL_JS = String.raw`'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const KEY = 'edgeclaw.token';
  const MAX_LOG_LINES = 300;
  let ws = null, seq = 0, selected = null, logCursor = undefined, logTimer = null;
  const pending = new Map();

  function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function setConn(text, ok) { const b = $('conn'); b.textContent = text; b.className = ok ? 'badge ok' : 'badge'; }
  function call(method, params) {
    return new Promise((resolve, reject) => {
      if (!ws || ws.readyState !== 1) return reject(new Error('not connected'));
      const id = 'c' + (++seq);
      const timer = setTimeout(() => { pending.delete(id); reject(new Error(method + ': timeout')); }, 15000);
      pending.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      ws.send(JSON.stringify({ type: 'req', id, method, params: params || {} }));
    });
  }

  function showLogin(message) {
    $('main').hidden = true; $('login').hidden = false; $('logout').hidden = true;
    $('login-error').textContent = message || '';
    if (logTimer) { clearInterval(logTimer); logTimer = null; }
  }

  function connect(token) {
    setConn('connecting…', false);
    ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/');
    let authed = false;
    ws.addEventListener('message', (ev) => {
      let f; try { f = JSON.parse(ev.data); } catch { return; }
      if (f.type === 'event' && f.event === 'connect.challenge') {
        const id = 'connect';
        pending.set(id, {
          resolve: () => { authed = true; sessionStorage.setItem(KEY, token); onConnected(); },
          reject: (e) => { sessionStorage.removeItem(KEY); showLogin(e.message); },
        });
        ws.send(JSON.stringify({ type: 'req', id, method: 'connect', params: { minProtocol: 4, maxProtocol: 4, client: { id: 'edgeclaw-control', version: '1', platform: 'web', mode: 'ui' }, caps: [], auth: { token }, role: 'operator' } }));
        return;
      }
      if (f.type === 'res') {
        const p = pending.get(f.id); if (!p) return; pending.delete(f.id);
        if (f.ok) p.resolve(f.payload); else p.reject(new Error((f.error && f.error.message) || 'request failed'));
        return;
      }
      if (f.type === 'event') onEvent(f.event, f.payload);
    });
    ws.addEventListener('close', (ev) => {
      setConn('disconnected', false);
      for (const p of pending.values()) p.reject(new Error(ev.reason || 'connection closed'));
      pending.clear();
      if (!authed) showLogin(ev.reason || 'connection refused');
    });
  }

  function onConnected() {
    setConn('connected', true);
    $('login').hidden = true; $('main').hidden = false; $('logout').hidden = false;
    refreshStatus(); refreshSessions(); refreshApprovals(); refreshLogs(); refreshChannels(); refreshUsage(); refreshDecisions();
    logTimer = setInterval(refreshLogs, 5000);
  }

  function onEvent(name, payload) {
    if (name === 'presence' || name === 'health') refreshStatus();
    else if (name === 'sessions.changed') refreshSessions();
    else if (name === 'chat') { if (payload && payload.state === 'final') { refreshSessions(); refreshUsage(); } if (selected && payload && payload.sessionKey === selected) refreshHistory(); }
    else if (name.startsWith('exec.approval.')) refreshApprovals();
    else if (name === 'defender.decision') refreshDecisions();
    else if (name === 'telegram.status') refreshChannels();
  }

  async function refreshStatus() {
    try {
      const [s, presence] = await Promise.all([call('status'), call('system-presence').catch(() => [])]);
      const dl = $('status'); dl.replaceChildren();
      const rows = [['version', s.runtimeVersion], ['uptime', Math.round((s.uptimeMs || 0) / 1000) + ' s'], ['sessions', String(s.sessions ? s.sessions.count : 0)], ['clients', String(Array.isArray(presence) ? presence.length : (presence && presence.entries ? presence.entries.length : '?'))]];
      for (const [k, v] of rows) { dl.append(el('dt', k), el('dd', String(v), 'status-' + k)); }
    } catch (e) { $('status').replaceChildren(el('dd', e.message, 'error')); }
  }

  async function refreshSessions() {
    try {
      const r = await call('sessions.list', { limit: 100 });
      const ul = $('sessions'); ul.replaceChildren();
      if (!r.sessions.length) ul.append(el('li', 'no sessions yet', 'muted'));
      for (const s of r.sessions) {
        const li = el('li', s.key + (s.hasActiveRun ? ' ●' : ''), s.key === selected ? 'selected' : undefined);
        li.dataset.key = s.key; li.tabIndex = 0;
        ul.append(li);
      }
    } catch (e) { $('sessions').replaceChildren(el('li', e.message, 'error')); }
  }

  async function refreshHistory() {
    if (!selected) return;
    $('history-title').textContent = 'History: ' + selected;
    try {
      const r = await call('chat.history', { sessionKey: selected, limit: 100 });
      const ol = $('history'); ol.replaceChildren();
      for (const m of r.messages) {
        const li = el('li'); li.append(el('span', m.role, 'role'), document.createTextNode((m.content || []).map((c) => c.text || '').join(''))); ol.append(li);
      }
      if (!r.messages.length) ol.append(el('li', 'no messages', 'muted'));
    } catch (e) { $('history').replaceChildren(el('li', e.message, 'error')); }
  }

  async function refreshApprovals() {
    try {
      const r = await call('exec.approval.list', { pendingOnly: true, limit: 50 });
      $('approvals-note').textContent = r.approvals.length ? '' : 'nothing pending';
      const ul = $('approvals'); ul.replaceChildren();
      for (const a of r.approvals) {
        const li = el('li'); li.append(el('div', a.kind + ': ' + a.summary), el('div', 'score ' + a.score + ' · ' + (a.reasons || []).map((x) => x.rule).join(', '), 'muted'));
        for (const d of ['allow-once', 'deny']) { const b = el('button', d); b.type = 'button'; b.dataset.id = a.id; b.dataset.decision = d; li.append(b); }
        ul.append(li);
      }
    } catch (e) { $('approvals').replaceChildren(); $('approvals-note').textContent = e.message; }
  }

  async function refreshChannels() {
    try {
      const r = await call('channels.status', {});
      const ul = $('channels'); ul.replaceChildren();
      let configured = 0;
      for (const id of r.channelOrder || []) {
        const ch = (r.channels || {})[id] || {};
        if (!ch.configured) continue;
        configured++;
        for (const a of (r.channelAccounts || {})[id] || []) {
          const state = [a.running ? 'running' : 'stopped', a.connected ? 'connected' : 'not connected', a.mode && a.mode !== 'none' ? a.mode : ''].filter(Boolean).join(' · ');
          const li = el('li'); li.dataset.channel = id;
          li.append(el('strong', (r.channelLabels || {})[id] || id), document.createTextNode(' ' + a.accountId + ': ' + state));
          if (a.lastError) li.append(el('div', a.lastError, 'error'));
          ul.append(li);
        }
      }
      const off = (r.channelOrder || []).filter((id) => !((r.channels || {})[id] || {}).configured).map((id) => (r.channelLabels || {})[id] || id);
      $('channels-note').textContent = (configured ? '' : 'no channel configured. ') + (off.length ? 'Not configured: ' + off.join(', ') : '');
    } catch (e) { $('channels').replaceChildren(); $('channels-note').textContent = e.message; }
  }

  function money(v) { return v === null || v === undefined ? 'unpriced' : '$' + Number(v).toFixed(4); }

  async function refreshUsage() {
    try {
      const r = await call('usage.status', {});
      const t = r.totals || {};
      const dl = $('usage'); dl.replaceChildren();
      for (const [k, v] of [['runs', t.runs || 0], ['tokens in', t.input || 0], ['tokens out', t.output || 0], ['cost', money(t.totalCost)]]) dl.append(el('dt', k), el('dd', String(v), 'usage-' + k.replace(' ', '-')));
      const ul = $('usage-models'); ul.replaceChildren();
      for (const m of (r.byModel || []).slice(0, 8)) ul.append(el('li', m.model + ': ' + m.runs + ' runs, ' + m.totalTokens + ' tokens, ' + money(m.totalCost)));
      $('usage-note').textContent = t.runs ? '' : 'no model runs yet';
    } catch (e) { $('usage').replaceChildren(); $('usage-note').textContent = e.message; }
  }

  async function refreshDecisions() {
    try {
      const r = await call('defender.decisions', { limit: 30 });
      const ul = $('decisions'); ul.replaceChildren();
      for (const d of r.decisions) {
        const li = el('li'); li.dataset.decision = d.decision; li.dataset.kind = d.kind;
        li.append(el('span', d.decision, 'verdict ' + d.decision), document.createTextNode(d.kind + (d.tool ? ' ' + d.tool : '') + ' · score ' + d.score + (d.reasons.length ? ' · ' + d.reasons.join(', ') : '')));
        li.append(el('div', new Date(d.at).toLocaleTimeString() + (d.sessionKey ? ' · ' + d.sessionKey : '') + (d.excerpt ? ' · ' + d.excerpt : ''), 'muted'));
        ul.append(li);
      }
      $('decisions-note').textContent = r.decisions.length ? '' : 'no decisions recorded yet';
    } catch (e) { $('decisions').replaceChildren(); $('decisions-note').textContent = e.message; }
  }

  async function refreshLogs() {
    try {
      const r = await call('logs.tail', logCursor === undefined ? { limit: 100 } : { cursor: logCursor, limit: 200 });
      logCursor = r.cursor;
      const pre = $('logs');
      const lines = (pre.textContent ? pre.textContent.split('\n') : []).concat(r.lines).slice(-MAX_LOG_LINES);
      pre.textContent = lines.join('\n');
      $('logs-note').textContent = '';
    } catch (e) { $('logs-note').textContent = e.message; }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login').addEventListener('submit', (ev) => { ev.preventDefault(); const t = $('token').value.trim(); $('token').value = ''; if (t) connect(t); });
    $('logout').addEventListener('click', () => { sessionStorage.removeItem(KEY); if (ws) ws.close(1000, 'signed out'); showLogin(''); });
    $('sessions').addEventListener('click', (ev) => { const li = ev.target.closest('li[data-key]'); if (!li) return; selected = li.dataset.key; for (const x of $('sessions').children) x.classList.toggle('selected', x === li); refreshHistory(); });
    $('approvals').addEventListener('click', async (ev) => {
      const b = ev.target.closest('button[data-id]'); if (!b) return;
      b.disabled = true;
      try { await call('exec.approval.resolve', { id: b.dataset.id, decision: b.dataset.decision }); } catch (e) { $('approvals-note').textContent = e.message; }
      refreshApprovals();
    });
    const saved = sessionStorage.getItem(KEY);
    if (saved) connect(saved); else showLogin('');
  });
})();
`;
