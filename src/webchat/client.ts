/** The WebChat browser script, served as /chat/app.js: plain ES2020 in a string, no build step, no eval. */

/**
 * The client: token form (sessionStorage only), gateway protocol v4 over WebSocket (`connect.challenge` →
 * `connect` → `hello-ok`), `chat.history` on load, `chat.send` with an idempotency key, streamed `chat`
 * events rendered with textContent only (never as HTML), and a Stop button when the gateway advertises
 * `chat.abort`.
 */
export const WEBCHAT_JS = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'edgeclaw.webchat.token';
  var SESSION = 'main';
  var MAX_RECONNECTS = 5;
  var MAX_MESSAGES = 500;
  var $ = function (id) { return document.getElementById(id); };
  var ws = null;
  var nextId = 0;
  var pending = new Map();
  var bubbles = new Map();
  var sessionKey = null;
  var canAbort = false;
  var activeRun = null;
  var reconnects = 0;
  var authFailed = false;

  function randomId() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, function (x) { return x.toString(16).padStart(2, '0'); }).join('');
  }
  function setStatus(text) { $('status').textContent = text; }
  function showChat(on) {
    $('chat').hidden = !on;
    $('login').hidden = on;
    $('logout').hidden = !on;
  }
  function textOf(message) {
    var parts = (message && Array.isArray(message.content)) ? message.content : [];
    return parts.filter(function (p) { return p && p.type === 'text'; }).map(function (p) { return String(p.text); }).join('');
  }
  function addBubble(role, text, runId) {
    var li = document.createElement('li');
    li.className = role;
    li.dataset.role = role;
    if (runId) li.dataset.runId = runId;
    li.textContent = text;
    var list = $('messages');
    list.appendChild(li);
    while (list.children.length > MAX_MESSAGES) list.removeChild(list.firstChild);
    li.scrollIntoView({ block: 'end' });
    return li;
  }
  function setActive(runId) {
    activeRun = runId;
    $('abort').hidden = !(canAbort && runId);
  }

  function request(method, params) {
    return new Promise(function (resolve, reject) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return reject(new Error('not connected'));
      var id = 'wc' + (++nextId);
      pending.set(id, { resolve: resolve, reject: reject });
      ws.send(JSON.stringify({ type: 'req', id: id, method: method, params: params }));
    });
  }

  function onChatEvent(p) {
    if (!p || (sessionKey && p.sessionKey !== sessionKey)) return;
    var li = bubbles.get(p.runId);
    if (!li) {
      li = addBubble('assistant', '', p.runId);
      bubbles.set(p.runId, li);
    }
    if (p.state === 'delta') {
      li.classList.add('streaming');
      li.dataset.state = 'delta';
      li.textContent = textOf(p.message);
      setActive(p.runId);
      return;
    }
    li.classList.remove('streaming');
    li.dataset.state = p.state;
    if (p.state === 'final') {
      if (p.message) li.textContent = textOf(p.message);
    } else {
      li.classList.add('failed');
      li.textContent = (li.textContent ? li.textContent + '\n' : '') + '[' + p.state + (p.errorMessage ? ': ' + p.errorMessage : '') + ']';
    }
    bubbles.delete(p.runId);
    if (activeRun === p.runId) setActive(null);
  }

  function loadHistory() {
    return request('chat.history', { sessionKey: SESSION, limit: 200 }).then(function (res) {
      sessionKey = res.sessionKey || null;
      var list = $('messages');
      list.textContent = '';
      bubbles.clear();
      (res.messages || []).forEach(function (m) {
        if (m.role === 'user' || m.role === 'assistant') addBubble(m.role, textOf(m)).dataset.state = 'history';
      });
      list.dataset.loaded = 'true';
    });
  }

  function onFrame(frame) {
    if (frame.type === 'event') {
      if (frame.event === 'connect.challenge') return handshake();
      if (frame.event === 'chat') return onChatEvent(frame.payload);
      return;
    }
    if (frame.type !== 'res') return;
    var waiter = pending.get(frame.id);
    if (!waiter) return;
    pending.delete(frame.id);
    if (frame.ok) waiter.resolve(frame.payload);
    else waiter.reject(Object.assign(new Error(frame.error && frame.error.message || 'request failed'), { shape: frame.error }));
  }

  function handshake() {
    var token = sessionStorage.getItem(TOKEN_KEY) || '';
    request('connect', {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: 'webchat', version: '1', platform: 'web', mode: 'webchat', instanceId: randomId() },
      role: 'operator',
      scopes: ['operator.read', 'operator.write'],
      auth: { token: token },
    }).then(function (hello) {
      reconnects = 0;
      var methods = (hello.features && hello.features.methods) || [];
      canAbort = methods.indexOf('chat.abort') >= 0;
      setStatus('connected');
      showChat(true);
      return loadHistory();
    }).catch(function (err) {
      if (err.shape) {
        authFailed = true;
        sessionStorage.removeItem(TOKEN_KEY);
        $('login-error').textContent = err.message;
        showChat(false);
      }
      setStatus('offline');
    });
  }

  function connect() {
    authFailed = false;
    setStatus('connecting');
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/';
    ws = new WebSocket(url);
    ws.addEventListener('message', function (e) {
      try { onFrame(JSON.parse(String(e.data))); } catch (err) { console.error('bad frame', err); }
    });
    ws.addEventListener('close', function () {
      pending.forEach(function (w) { w.reject(new Error('disconnected')); });
      pending.clear();
      setActive(null);
      setStatus('disconnected');
      if (!authFailed && sessionStorage.getItem(TOKEN_KEY) && reconnects < MAX_RECONNECTS) {
        reconnects++;
        setTimeout(connect, 500 * Math.pow(2, reconnects));
      }
    });
  }

  function send(text) {
    var runId = randomId();
    addBubble('user', text);
    var li = addBubble('assistant', '', runId);
    li.classList.add('streaming');
    li.dataset.state = 'pending';
    bubbles.set(runId, li);
    setActive(runId);
    return request('chat.send', { sessionKey: SESSION, message: text, idempotencyKey: runId }).catch(function (err) {
      onChatEvent({ runId: runId, sessionKey: sessionKey, state: 'error', errorMessage: err.message });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login').addEventListener('submit', function (e) {
      e.preventDefault();
      var token = $('token').value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      $('login-error').textContent = '';
      connect();
    });
    $('composer').addEventListener('submit', function (e) {
      e.preventDefault();
      var text = $('input').value;
      if (!text.trim()) return;
      $('input').value = '';
      send(text);
    });
    $('input').addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('composer').requestSubmit(); }
    });
    $('abort').addEventListener('click', function () {
      if (activeRun) request('chat.abort', { sessionKey: SESSION, runId: activeRun }).catch(function () {});
    });
    $('logout').addEventListener('click', function () {
      sessionStorage.removeItem(TOKEN_KEY);
      authFailed = true;
      if (ws) ws.close(1000, 'logout');
      showChat(false);
    });
    if (sessionStorage.getItem(TOKEN_KEY)) connect();
  });
})();
`;
