/**
 * The embeddable widget: plain JavaScript, no build step, no dependencies. It speaks the
 * socket.io wire protocol (Engine.IO v4 over WebSocket) directly, so the page loads one small
 * script. Every text from the network is rendered with textContent: markup in messages stays
 * inert. A site embeds it with
 *   <script src="https://chat.example/widget.js" data-tenant="acme" async></script>
 * and may add data-user-id / data-user-hash (hex HMAC-SHA256 of the user id) for logged-in users.
 */
export const WIDGET_SCRIPT = String.raw`(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var tenantId = script.getAttribute('data-tenant') || '';
  var userId = script.getAttribute('data-user-id');
  var userHash = script.getAttribute('data-user-hash');
  var gateway = new URL(script.src, location.href);
  var socketUrl = (gateway.protocol === 'https:' ? 'wss://' : 'ws://') + gateway.host +
    '/chat/socket/?EIO=4&transport=websocket';
  var tokenKey = 'switchboard.chat.' + tenantId + '.session';
  var seen = {};
  var unsent = [];
  var acks = {};
  var nextAckId = 1;
  var ws = null;
  var connected = false;
  var retryMs = 500;

  var root = document.createElement('div');
  root.id = 'switchboard-chat';
  root.setAttribute('style', 'position:fixed;right:16px;bottom:16px;width:320px;font:14px sans-serif;' +
    'background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.2);z-index:2147483647');
  var status = document.createElement('div');
  status.setAttribute('data-role', 'status');
  status.setAttribute('style', 'padding:6px 10px;color:#666;border-bottom:1px solid #eee');
  status.textContent = 'Connecting…';
  var list = document.createElement('div');
  list.setAttribute('data-role', 'messages');
  list.setAttribute('style', 'height:260px;overflow-y:auto;padding:8px');
  var form = document.createElement('form');
  form.setAttribute('style', 'display:flex;border-top:1px solid #eee');
  var input = document.createElement('input');
  input.setAttribute('data-role', 'input');
  input.setAttribute('placeholder', 'Type a message');
  input.setAttribute('maxlength', '4000');
  input.setAttribute('style', 'flex:1;border:0;padding:8px');
  var button = document.createElement('button');
  button.type = 'submit';
  button.textContent = 'Send';
  form.appendChild(input);
  form.appendChild(button);
  root.appendChild(status);
  root.appendChild(list);
  root.appendChild(form);
  (document.body || document.documentElement).appendChild(root);

  function show(from, text, id) {
    var line = document.createElement('div');
    line.className = 'switchboard-message switchboard-' + from;
    if (id) line.setAttribute('data-message-id', id);
    line.setAttribute('style', 'margin:4px 0;text-align:' + (from === 'visitor' ? 'right' : 'left'));
    line.textContent = text; // never innerHTML: messages are text, markup stays inert
    list.appendChild(line);
    list.scrollTop = list.scrollHeight;
    return line;
  }

  function send(packet) {
    if (ws && ws.readyState === 1) ws.send(packet);
  }

  function emit(event, payload, onAnswer) {
    var id = '';
    if (onAnswer) {
      id = String(nextAckId++);
      acks[id] = onAnswer;
    }
    send('42' + id + JSON.stringify([event, payload]));
  }

  function deliverOutgoing(item) {
    emit('message:send', { clientMessageId: item.clientMessageId, text: item.text }, function (answer) {
      if (answer && answer.ok) {
        unsent = unsent.filter(function (other) { return other !== item; });
        item.line.setAttribute('data-state', 'sent');
        // The id history knows this message by: it is not shown a second time.
        seen[answer.messageId] = true;
        item.line.setAttribute('data-message-id', answer.messageId);
      } else if (answer && answer.error && answer.error.retryable) {
        item.line.setAttribute('data-state', 'retrying');
        setTimeout(function () { if (connected) deliverOutgoing(item); }, 2000);
      } else {
        unsent = unsent.filter(function (other) { return other !== item; });
        item.line.setAttribute('data-state', 'failed');
        show('system', (answer && answer.error && answer.error.message) || 'not sent');
      }
    });
  }

  function onEvent(event, payload) {
    if (event === 'session') {
      if (payload.sessionToken) localStorage.setItem(tokenKey, payload.sessionToken);
      status.textContent = payload.offline ? 'No agent is available; leave a message' : 'Connected';
      unsent.forEach(deliverOutgoing); // same client ids: the gateway never duplicates them
    } else if (event === 'history') {
      // The conversation so far (on a new page, or what was missed); ids already shown are skipped.
      (payload.messages || []).forEach(function (message) {
        if (seen[message.id]) return;
        seen[message.id] = true;
        show(message.from === 'visitor' ? 'visitor' : 'agent', message.text, message.id);
      });
    } else if (event === 'agent:message') {
      if (!seen[payload.id]) {
        seen[payload.id] = true;
        show('agent', payload.text, payload.id);
      }
      emit('message:ack', { messageIds: [payload.id] });
      if (document.visibilityState === 'visible') emit('message:read', { messageIds: [payload.id] });
    } else if (event === 'chat:error') {
      show('system', payload.message);
    }
  }

  function onPacket(data) {
    var type = data.charAt(0);
    if (type === '0') {
      var auth = { tenantId: tenantId };
      var token = localStorage.getItem(tokenKey);
      if (token) auth.sessionToken = token;
      if (userId && userHash) auth.identity = { userId: userId, userHash: userHash };
      var known = Object.keys(seen).slice(-500);
      if (known.length) auth.knownMessageIds = known;
      send('40' + JSON.stringify(auth));
    } else if (type === '2') {
      send('3');
    } else if (type === '4') {
      var kind = data.charAt(1);
      var body = data.slice(2);
      if (kind === '0') {
        connected = true;
        retryMs = 500;
      } else if (kind === '4') {
        var refusal = JSON.parse(body);
        var code = refusal.data && refusal.data.code;
        if (code === 'session_unknown') {
          localStorage.removeItem(tokenKey);
        } else {
          status.textContent = refusal.message;
          if (!(refusal.data && refusal.data.retryable)) retryMs = 0;
        }
      } else if (kind === '2' || kind === '3') {
        var start = body.indexOf('[');
        var ackId = body.slice(0, start);
        var args = JSON.parse(body.slice(start));
        if (kind === '3') {
          var callback = acks[ackId];
          delete acks[ackId];
          if (callback) callback(args[0]);
        } else {
          onEvent(args[0], args[1]);
        }
      }
    }
  }

  function open() {
    ws = new WebSocket(socketUrl);
    ws.onmessage = function (message) {
      if (typeof message.data === 'string') onPacket(message.data);
    };
    ws.onclose = function () {
      connected = false;
      acks = {};
      status.textContent = 'Reconnecting…';
      if (retryMs > 0) {
        setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, 15000);
      }
    };
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = '';
    var item = {
      clientMessageId: 'c_' + Date.now().toString(36) + '_' + Math.random().toString(36).slice(2, 10),
      text: text,
      line: show('visitor', text),
    };
    unsent.push(item);
    if (connected) deliverOutgoing(item);
  });

  open();
})();
`;

/** The demo page the gateway serves at /demo; `tenantId` must already be validated. */
export const demoPageHtml = (tenantId: string): string => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Switchboard chat demo</title>
  </head>
  <body>
    <h1>Switchboard chat demo</h1>
    <p>The chat widget below is the one script tag a website adds.</p>
    <script src="/widget.js" data-tenant="${tenantId}" async></script>
  </body>
</html>
`;
