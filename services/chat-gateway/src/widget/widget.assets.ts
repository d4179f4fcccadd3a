/**
 * The embeddable widget: plain JavaScript, no build step, no dependencies. It speaks the
 * socket.io wire protocol (Engine.IO v4 over WebSocket) directly, so the page loads one small
 * script. Every text from the network is rendered with textContent: markup in messages stays
 * inert. A site embeds it with
 *   <script src="https://chat.example/widget.js" data-tenant="acme" async></script>
 * and may add data-user-id / data-user-hash (hex HMAC-SHA256 of the user id) for logged-in users,
 * and data-prechat="off" to skip the pre-chat form (name, email, topic) shown before the first
 * message of a session.
 */
export const WIDGET_SCRIPT = String.raw`(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var tenantId = script.getAttribute('data-tenant') || '';
  var userId = script.getAttribute('data-user-id');
  var userHash = script.getAttribute('data-user-hash');
  var prechatEnabled = script.getAttribute('data-prechat') !== 'off';
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
  button.setAttribute('data-role', 'send');
  button.textContent = 'Send';
  form.appendChild(input);
  form.appendChild(button);

  function field(tag, role, placeholder) {
    var element = document.createElement(tag);
    element.setAttribute('data-role', role);
    if (placeholder) element.setAttribute('placeholder', placeholder);
    element.setAttribute('style', 'display:block;width:100%;box-sizing:border-box;margin:4px 0;padding:6px');
    return element;
  }
  var prechat = document.createElement('form');
  prechat.setAttribute('data-role', 'prechat');
  prechat.setAttribute('style', 'display:none;padding:8px;border-top:1px solid #eee');
  var prechatIntro = document.createElement('div');
  prechatIntro.textContent = 'Before we start, tell us who you are.';
  var prechatName = field('input', 'prechat-name', 'Your name');
  prechatName.setAttribute('maxlength', '100');
  prechatName.required = true;
  var prechatEmail = field('input', 'prechat-email', 'Email (optional)');
  prechatEmail.type = 'email';
  prechatEmail.setAttribute('maxlength', '254');
  var prechatTopic = field('select', 'prechat-topic');
  var prechatError = field('div', 'prechat-error');
  prechatError.style.color = '#b00';
  var prechatButton = document.createElement('button');
  prechatButton.type = 'submit';
  prechatButton.textContent = 'Start chat';
  [prechatIntro, prechatName, prechatEmail, prechatTopic, prechatError, prechatButton].forEach(
    function (element) { prechat.appendChild(element); });

  var agentTyping = document.createElement('div');
  agentTyping.setAttribute('data-role', 'agent-typing');
  agentTyping.setAttribute('style', 'display:none;padding:2px 10px;color:#666;font-style:italic');
  var agentTypingTimer = null;
  var queueLine = document.createElement('div');
  queueLine.setAttribute('data-role', 'queue-status');
  queueLine.setAttribute('style', 'display:none;padding:6px 10px;background:#f5f7fa;color:#333');
  var offlineNotice = 'No one is available right now — leave a message and we will email you';
  var offlineMode = false;

  root.appendChild(status);
  root.appendChild(queueLine);
  root.appendChild(list);
  root.appendChild(agentTyping);
  root.appendChild(prechat);
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
        // The conversation service's id of it: what an agent's "read up to" names.
        item.line.setAttribute('data-conversation-message-id', answer.conversationMessageId || '');
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

  /**
   * The agent has seen the conversation up to one message: the visitor's lines up to it are read.
   * A message this page does not show was sent after it loaded (another tab), so every line is.
   */
  function markReadUpTo(conversationMessageId) {
    var lines = list.querySelectorAll('.switchboard-message');
    var upTo = -1;
    for (var index = 0; index < lines.length; index++) {
      if (lines[index].getAttribute('data-conversation-message-id') === conversationMessageId) upTo = index;
    }
    if (upTo < 0) upTo = lines.length - 1;
    var lastRead = null;
    for (var position = 0; position <= upTo; position++) {
      var line = lines[position];
      // A line without the conversation's id is not on the conversation (not acknowledged yet, or
      // refused), so nobody can have read it.
      if (line.classList.contains('switchboard-visitor') && line.getAttribute('data-conversation-message-id')) {
        line.setAttribute('data-read', 'true');
        lastRead = line;
      }
    }
    if (!lastRead) return;
    var previousMark = list.querySelector('[data-role="read-mark"]');
    // A late signal naming an earlier message never moves the mark back (4: the mark follows).
    if (previousMark && (lastRead.compareDocumentPosition(previousMark) & 4)) return;
    if (previousMark) previousMark.parentNode.removeChild(previousMark);
    var mark = document.createElement('div');
    mark.setAttribute('data-role', 'read-mark');
    mark.setAttribute('style', 'text-align:right;color:#888;font-size:11px');
    mark.textContent = '✓ Read';
    list.insertBefore(mark, lastRead.nextSibling);
  }

  function onEvent(event, payload) {
    if (event === 'session') {
      if (payload.sessionToken) localStorage.setItem(tokenKey, payload.sessionToken);
      offlineMode = !!payload.offline;
      status.textContent = offlineMode ? offlineNotice : 'Connected';
      session = payload;
      var answers = payload.prechat || {};
      var answered = answers.name || answers.email || answers.topic;
      if (prechatEnabled && !answered && !unsent.length) showPrechat(payload.prechatTopics || []);
      else showChat();
      unsent.forEach(deliverOutgoing); // same client ids: the gateway never duplicates them
    } else if (event === 'history') {
      // The conversation so far (on a new page, or what was missed); ids already shown are skipped.
      (payload.messages || []).forEach(function (message) {
        if (seen[message.id]) return;
        seen[message.id] = true;
        show(message.from === 'visitor' ? 'visitor' : 'agent', message.text, message.id)
          .setAttribute('data-conversation-message-id', message.conversationMessageId || message.id);
      });
    } else if (event === 'agent:message') {
      queueLine.style.display = 'none'; // an agent is here: no more waiting line
      if (!seen[payload.id]) {
        seen[payload.id] = true;
        // A reply's id is the conversation service's own.
        show('agent', payload.text, payload.id).setAttribute('data-conversation-message-id', payload.id);
      }
      emit('message:ack', { messageIds: [payload.id] });
      if (document.visibilityState === 'visible') emit('message:read', { messageIds: [payload.id] });
    } else if (event === 'queue:status') {
      showQueueStatus(payload);
    } else if (event === 'agent:typing') {
      clearTimeout(agentTypingTimer);
      if (payload.isTyping) {
        // The agent's name comes from the network: text only.
        agentTyping.textContent = (payload.name || 'The agent') + ' is typing…';
        agentTyping.style.display = 'block';
        // A lost "stopped typing" must not leave the indicator on (the signal lasts 10 s).
        agentTypingTimer = setTimeout(function () { agentTyping.style.display = 'none'; }, 10000);
      } else {
        agentTyping.style.display = 'none';
      }
    } else if (event === 'agent:read') {
      markReadUpTo(payload.upToMessageId);
    } else if (event === 'chat:error') {
      show('system', payload.message);
    }
  }

  var session = null;

  function minutesText(seconds) {
    if (!seconds) return '';
    if (seconds < 60) return ', less than a minute';
    var minutes = Math.ceil(seconds / 60);
    return ', about ' + minutes + (minutes === 1 ? ' minute' : ' minutes');
  }

  function showQueueStatus(queue) {
    if (queue.agentsOnline === false) {
      // Offline: messages are still taken (and flagged); an email address is how we answer.
      offlineMode = true;
      status.textContent = offlineNotice;
      queueLine.style.display = 'none';
      var answers = (session && session.prechat) || {};
      if (!answers.email && prechat.style.display === 'none') showPrechat((session && session.prechatTopics) || []);
      return;
    }
    if (offlineMode) {
      offlineMode = false;
      status.textContent = 'Connected';
    }
    if (queue.state === 'waiting' && queue.position > 0) {
      queueLine.textContent = 'You are number ' + queue.position + ' in line' + minutesText(queue.expectedWaitSeconds);
      queueLine.style.display = 'block';
    } else if (queue.state === 'offered') {
      queueLine.textContent = 'An agent is about to join…';
      queueLine.style.display = 'block';
    } else {
      queueLine.style.display = 'none';
    }
  }

  function showChat() {
    prechat.style.display = 'none';
    form.style.display = 'flex';
  }

  function showPrechat(topics) {
    while (prechatTopic.firstChild) prechatTopic.removeChild(prechatTopic.firstChild);
    topics.forEach(function (topic) {
      var option = document.createElement('option');
      option.value = topic;
      option.textContent = topic; // tenant configuration, still shown as text
      prechatTopic.appendChild(option);
    });
    prechatTopic.style.display = topics.length ? 'block' : 'none';
    var answers = (session && session.prechat) || {};
    if (answers.name) prechatName.value = answers.name;
    if (answers.email) prechatEmail.value = answers.email;
    if (answers.topic) prechatTopic.value = answers.topic;
    // Offline mode needs an address to answer by email.
    prechatEmail.required = offlineMode;
    prechatEmail.setAttribute('placeholder', offlineMode ? 'Email (we will answer there)' : 'Email (optional)');
    prechatIntro.textContent = offlineMode ? offlineNotice : 'Before we start, tell us who you are.';
    prechatError.textContent = '';
    form.style.display = 'none';
    prechat.style.display = 'block';
  }

  prechat.addEventListener('submit', function (event) {
    event.preventDefault();
    var answers = { name: prechatName.value };
    if (prechatEmail.value.trim()) answers.email = prechatEmail.value;
    if (offlineMode && !answers.email) {
      prechatError.textContent = 'Please leave your email address so we can answer you.';
      return;
    }
    if (prechatTopic.style.display !== 'none' && prechatTopic.value) answers.topic = prechatTopic.value;
    if (!connected) {
      prechatError.textContent = 'Not connected yet; try again in a moment.';
      return;
    }
    emit('prechat:submit', answers, function (answer) {
      if (answer && answer.ok) {
        if (session) session.prechat = answer.prechat;
        showChat();
        input.focus();
      } else {
        prechatError.textContent = (answer && answer.error && answer.error.message) || 'not accepted';
      }
    });
  });

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

  // Typing: at most one "typing" per 2 s (the gateway throttles too), "stopped" after 3 s idle.
  var lastTypingSent = 0;
  var typingStopTimer = null;
  function stopTyping() {
    clearTimeout(typingStopTimer);
    if (lastTypingSent) {
      lastTypingSent = 0;
      emit('typing', { isTyping: false });
    }
  }
  input.addEventListener('input', function () {
    if (!connected) return;
    var now = Date.now();
    if (now - lastTypingSent >= 2000) {
      lastTypingSent = now;
      emit('typing', { isTyping: true });
    }
    clearTimeout(typingStopTimer);
    typingStopTimer = setTimeout(stopTyping, 3000);
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = '';
    stopTyping();
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
