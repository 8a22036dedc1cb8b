// The approvers' dashboard: renders the board from /dashboard/api/board and keeps it current with the
// server-sent events of /dashboard/api/events. Everything shown comes from agents and sellers, so text is
// only ever set with textContent, never parsed as HTML.
'use strict';

const API = '/dashboard/api';
const decidedHere = new Map(); // approval id -> what this page answered
let source = null;

// ---- small helpers ------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role' || key === 'for') node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(API + path, { credentials: 'same-origin', ...options });
  if (response.status === 401) {
    location.href = 'login.html';
    throw new Error('not signed in');
  }
  return response;
}

function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
}

function words(status) {
  return (status || '').replace(/_/g, ' ');
}

function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = el('div', { class: 'toast ' + kind, text });
  box.append(item);
  setTimeout(() => item.remove(), 8000);
}

function setLive(state) {
  const live = document.getElementById('live');
  live.className = 'live state-' + state;
  live.textContent = { live: 'live', connecting: 'connecting…', reconnecting: 'reconnecting…' }[state] || state;
}

// ---- pending approvals --------------------------------------------------------------------------

function renderPending(pending, requests) {
  const box = document.getElementById('pending');
  const keep = new Set(pending.map(p => p.card.approval_id));
  for (const node of [...box.querySelectorAll('.card')]) {
    const id = node.dataset.approvalId;
    if (keep.has(id) || node.classList.contains('settled')) continue;
    settle(node, requests.find(r => r.approval_id === id));
  }
  for (const item of pending) {
    let node = box.querySelector(`.card[data-approval-id="${CSS.escape(item.card.approval_id)}"]`);
    if (!node) {
      node = buildCard(item.card.approval_id);
      box.append(node);
    }
    if (!node.classList.contains('settled')) fillCard(node, item);
  }
  document.getElementById('pending-count').textContent = String(pending.length);
  document.getElementById('no-pending').hidden = pending.length > 0 || box.querySelector('.card') !== null;
}

/** A card that left the pending list: keep it (greyed, with its outcome) if this page acted on it, else drop it. */
function settle(node, row) {
  const id = node.dataset.approvalId;
  const outcome = row ? `${words(row.approval_status)}${row.decided_by ? ' by ' + row.decided_by : ''}`
      + `${row.decided_via ? ' via ' + row.decided_via : ''}` : 'no longer pending';
  if (decidedHere.has(id) || node.classList.contains('conflict')) {
    node.classList.add('settled');
    node.querySelectorAll('button, input, textarea').forEach(c => { c.disabled = true; });
    const dismiss = el('button', { type: 'button', class: 'link dismiss', text: 'Dismiss' });
    dismiss.disabled = false;
    dismiss.addEventListener('click', () => { node.remove(); renderEmptyState(); });
    node.querySelector('.card-head').append(dismiss);
  } else {
    const amount = node.querySelector('.amount .value').textContent;
    toast(`${amount} ${node.querySelector('.amount .cur').textContent} (${node.dataset.agent}): ${outcome}`);
    node.remove();
  }
  renderEmptyState();
}

function renderEmptyState() {
  const box = document.getElementById('pending');
  document.getElementById('no-pending').hidden = box.querySelector('.card') !== null;
}

function buildCard(id) {
  const note = el('textarea', { class: 'note', rows: 2, maxLength: 2000, placeholder: 'Note for the agent and the audit trail (optional)' });
  const approve = el('button', { type: 'button', class: 'primary approve', text: 'Approve' });
  const deny = el('button', { type: 'button', class: 'danger deny', text: 'Deny' });
  const field = (cls, label, placeholder) => el('label', { class: 'field' }, el('span', { text: label }),
      el('input', { class: cls, placeholder, inputMode: cls.includes('ttl') ? 'text' : 'decimal', autocomplete: 'off' }));
  const approveRevised = el('button', { type: 'button', class: 'primary approve-revised', text: 'Approve with these changes' });
  const revise = el('details', { class: 'revise' },
      el('summary', { text: 'Approve with changes…' }),
      el('div', { class: 'revise-grid' },
          field('max-amount', 'Pay at most (this payment)', 'e.g. 250.00'),
          el('span'),
          field('task-budget', 'New budget for the task', 'e.g. 400.00'),
          field('task-budget-ttl', 'for', '72h'),
          field('allow-seller', 'Allow this seller up to (per payment)', 'e.g. 50.00'),
          field('allow-seller-ttl', 'for', '24h')),
      approveRevised);
  const approveNarrowed = el('button', { type: 'button', class: 'primary approve-narrowed', text: 'Approve narrowed' });
  const narrow = el('details', { class: 'narrow', hidden: true },
      el('summary', { text: 'Approve narrowed…' }),
      el('div', { class: 'revise-grid' },
          field('narrow-ttl', 'Valid for (at most what was asked)', 'e.g. 2h'),
          field('narrow-actions', 'Only these actions (comma-separated)', 'e.g. stripe:charges:read')),
      approveNarrowed);
  const node = el('article', { class: 'card', 'data-approval-id': id },
      el('div', { class: 'card-head' },
          el('div', { class: 'amount' }, el('span', { class: 'value' }), ' ', el('span', { class: 'cur' })),
          el('span', { class: 'badge tier' }),
          el('span', { class: 'age muted' })),
      el('dl', { class: 'facts' }),
      el('ul', { class: 'flags' }),
      el('table', { class: 'budgets' }),
      el('pre', { class: 'diff', hidden: true }),
      el('p', { class: 'progress muted' }),
      el('p', { class: 'blocked' }),
      el('div', { class: 'decide' }, note, el('div', { class: 'buttons' }, approve, deny), revise, narrow),
      el('p', { class: 'result', role: 'alert' }));
  approve.addEventListener('click', () => decide(node, { decision: 'approve' }));
  deny.addEventListener('click', () => decide(node, { decision: 'deny' }));
  approveRevised.addEventListener('click', () => {
    const body = { decision: 'approve' };
    const value = cls => node.querySelector('.' + cls).value.trim();
    if (value('max-amount')) body.max_amount = value('max-amount');
    if (value('task-budget')) body.task_budget = { amount: value('task-budget'), ttl: value('task-budget-ttl') || '72h' };
    if (value('allow-seller')) body.allow_seller = { max_amount: value('allow-seller'), ttl: value('allow-seller-ttl') || '24h' };
    decide(node, body);
  });
  approveNarrowed.addEventListener('click', () => {
    const body = { decision: 'approve' };
    const value = cls => node.querySelector('.' + cls).value.trim();
    if (value('narrow-ttl')) body.ttl = value('narrow-ttl');
    if (value('narrow-actions')) body.actions = value('narrow-actions').split(',').map(a => a.trim()).filter(a => a);
    decide(node, body);
  });
  return node;
}

/** Updates everything but what the approver is typing. */
function fillCard(node, item) {
  const c = item.card;
  node.dataset.agent = c.agent;
  const access = c.access;
  node.querySelector('.amount .value').textContent = access ? 'Access' : c.amount;
  node.querySelector('.amount .cur').textContent = access ? access.actions.join(', ') : (c.currency || '').toUpperCase();
  node.querySelector('.revise').hidden = !!access;
  node.querySelector('.narrow').hidden = !access;
  const diff = node.querySelector('.diff');
  diff.hidden = !access;
  diff.textContent = access ? access.diff : '';
  const tier = node.querySelector('.tier');
  tier.textContent = words(c.tier);
  tier.className = 'badge tier tier-' + c.tier;
  node.querySelector('.age').textContent = 'asked ' + when(c.created_at);

  const facts = node.querySelector('.facts');
  facts.replaceChildren();
  const fact = (label, value, cls) => {
    if (value) facts.append(el('dt', { text: label }), el('dd', { text: value, class: cls }));
  };
  fact('Project', c.project);
  fact('Agent', c.agent);
  if (access) {
    fact('Action', access.actions.join(', '));
    fact('Resource', access.resource || 'any resource');
    if (access.branches.length) fact('Branches', access.branches.join(', '));
    fact('TTL', access.ttl);
    fact('Justification', access.justification);
  } else {
    fact('Task', c.task);
    fact('Purpose', c.purpose);
    fact('Seller', c.seller_url, 'seller');
  }
  fact('Why asked', c.reason);

  const flags = node.querySelector('.flags');
  flags.replaceChildren(...(c.risk_flags || []).map(f => el('li', { class: 'flag', text: f })));
  flags.hidden = !(c.risk_flags || []).length;

  const budgets = node.querySelector('.budgets');
  budgets.replaceChildren();
  if ((c.budgets || []).length) {
    budgets.append(el('tr', {}, el('th', { text: 'Budget' }), el('th', { class: 'num', text: 'Limit' }),
        el('th', { class: 'num', text: 'Used' }), el('th', { class: 'num', text: 'Left after this' })));
    for (const b of c.budgets) {
      budgets.append(el('tr', {}, el('td', { text: b.window }), el('td', { class: 'num', text: b.limit }),
          el('td', { class: 'num', text: b.used }),
          el('td', { class: 'num' + (b.left_after.startsWith('-') ? ' over' : ''), text: b.left_after })));
    }
  }
  budgets.hidden = !(c.budgets || []).length;

  const approved = c.approved_so_far || [];
  const progress = [];
  if (c.required_approvals > 1) {
    progress.push(`Approvals: ${approved.length} of ${c.required_approvals}` + (approved.length ? ` (${approved.join(', ')})` : ''));
  }
  if (c.escalates_at) progress.push(`Escalates at ${when(c.escalates_at)}`);
  node.querySelector('.progress').textContent = progress.join(' · ');

  const blocked = node.querySelector('.blocked');
  blocked.textContent = item.blocked || item.hint || '';
  blocked.className = 'blocked' + (item.blocked ? ' alert warn' : item.hint ? ' alert info' : '');
  if (!node.classList.contains('busy') && !node.classList.contains('conflict')) {
    node.querySelector('.decide').hidden = !item.may_answer;
    node.querySelectorAll('.approve, .approve-revised, .approve-narrowed').forEach(b => { b.disabled = !item.may_approve; });
    node.querySelector('.deny').disabled = !item.may_answer;
  }
}

async function decide(node, body) {
  const id = node.dataset.approvalId;
  const note = node.querySelector('.note').value.trim();
  if (note) body.note = note;
  const result = node.querySelector('.result');
  node.classList.add('busy');
  node.querySelectorAll('.decide button').forEach(b => { b.disabled = true; });
  result.className = 'result';
  result.textContent = 'Sending…';
  let response;
  let data = {};
  try {
    response = await api('/approvals/' + encodeURIComponent(id), {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body),
    });
    data = await response.json().catch(() => ({}));
  } catch (e) {
    node.classList.remove('busy');
    result.className = 'result alert error';
    result.textContent = 'The broker could not be reached: ' + e.message;
    node.querySelectorAll('.decide button').forEach(b => { b.disabled = false; });
    return;
  }
  node.classList.remove('busy');
  if (response.ok) {
    decidedHere.set(id, data.outcome);
    result.className = 'result alert ok';
    result.textContent = data.outcome === 'vote_recorded'
        ? 'Your approval is recorded; more approvers are needed.'
        : `You ${data.outcome} this ${data.card && data.card.access ? 'access request' : 'payment'}.`;
    node.classList.add('answered');
    const amount = `${node.querySelector('.amount .value').textContent} ${node.querySelector('.amount .cur').textContent}`;
    toast(`${amount} (${node.dataset.agent}): ${data.outcome === 'vote_recorded' ? 'vote recorded' : words(data.outcome) + ' by you'}`, 'ok');
  } else if (response.status === 409 && data.decided_by) {
    node.classList.add('conflict');
    result.className = 'result alert warn';
    result.textContent = `Already ${words(data.approval_status)} by ${data.decided_by}`
        + (data.decided_via ? ` via ${data.decided_via}` : '') + (data.decided_at ? ` at ${when(data.decided_at)}` : '')
        + ': your answer was not recorded.';
  } else {
    result.className = 'result alert error';
    result.textContent = data.detail || `The broker answered ${response.status}.`;
    node.querySelectorAll('.decide button').forEach(b => { b.disabled = false; });
    if (response.status === 409) node.classList.add('conflict');
  }
}

// ---- the live list ------------------------------------------------------------------------------

/** An access request's row: what was asked, for how long and why, the proposed diff, and the grant it became. */
function accessRow(r) {
  const a = r.access;
  const grant = a.grant
    ? `grant ${a.grant.id} (${words(a.grant.status)}${a.grant.expires_at ? ', expires ' + when(a.grant.expires_at) : ''})`
      + ` ${a.grant.actions.join(', ')}`
    : '';
  return el('tr', { 'data-approval-id': r.approval_id, 'data-access-request-id': a.id, class: 'access-row' },
      el('td', { text: when(r.decided_at || r.created_at) }),
      el('td', { text: r.project }),
      el('td', {}, el('span', { text: r.agent }), el('span', { class: 'muted', text: ' · ' + a.justification })),
      el('td', { class: 'num', text: `${a.actions.join(', ')} for ${a.ttl}` }),
      el('td', { text: a.resource || 'any resource' }),
      el('td', { text: words(r.tier) }),
      el('td', {}, el('span', { class: 'badge approval-status st-' + r.approval_status, text: words(r.approval_status) })),
      el('td', {}, el('span', { class: 'badge payment-status st-' + a.status, text: words(a.status) }),
          el('span', { class: 'muted grant', text: grant ? ' ' + grant : '' })),
      el('td', { text: r.decided_by ? `${r.decided_by}${r.decided_via ? ' via ' + r.decided_via : ''}` : '' }),
      el('td', { class: 'note-cell' }, el('span', { text: r.note || '' }),
          a.proposal && a.proposal.diff
            ? el('details', {}, el('summary', { text: 'policy diff' }), el('pre', { class: 'diff', text: a.proposal.diff }))
            : null));
}

function renderRequests(requests) {
  const body = document.querySelector('#requests tbody');
  body.replaceChildren(...requests.map(r => r.access ? accessRow(r) : el('tr', { 'data-approval-id': r.approval_id, 'data-payment-id': r.payment_id },
      el('td', { text: when(r.decided_at || r.created_at) }),
      el('td', { text: r.project }),
      el('td', {}, el('span', { text: r.agent }), el('span', { class: 'muted', text: ' · ' + r.task })),
      el('td', { class: 'num', text: `${r.amount} ${(r.currency || '').toUpperCase()}` }),
      el('td', { text: r.seller }),
      el('td', { text: words(r.tier) }),
      el('td', {}, el('span', { class: 'badge approval-status st-' + r.approval_status, text: words(r.approval_status) })),
      el('td', {}, el('span', { class: 'badge payment-status st-' + r.payment_status, text: words(r.payment_status) })),
      el('td', { text: r.decided_by ? `${r.decided_by}${r.decided_via ? ' via ' + r.decided_via : ''}` : '' }),
      el('td', { class: 'note-cell', text: r.note || '' }))));
  document.getElementById('no-requests').hidden = requests.length > 0;
}

function render(board) {
  renderPending(board.pending, board.requests);
  renderRequests(board.requests);
}

// ---- live sessions ------------------------------------------------------------------------------

const seenSteps = new Set(); // "project/agent/seq" already shown, so only new steps flash
let sessionsShown = false;

function renderSessions(data) {
  const box = document.getElementById('sessions');
  box.replaceChildren(...data.agents.map(s => el('article', { class: 'session', 'data-agent': s.agent, 'data-project': s.project },
      el('div', { class: 'session-head' },
          el('strong', { text: s.agent }), el('span', { class: 'muted', text: s.project }),
          el('span', { class: 'last muted', text: s.last_step_at ? 'last step ' + when(s.last_step_at) : 'no steps yet' })),
      el('ol', { class: 'steps' }, s.steps.map(step => {
        const key = `${s.project}/${s.agent}/${step.seq}`;
        const fresh = sessionsShown && !seenSteps.has(key);
        seenSteps.add(key);
        return el('li', { class: 'step' + (step.decision ? ' d-' + step.decision : '') + (fresh ? ' fresh' : ''), 'data-seq': step.seq },
            el('span', { class: 'muted', text: when(step.ts), title: step.ts }),
            el('span', { class: 'event', text: step.event + (step.decision ? ' ' + step.decision : '') }),
            el('span', { class: 'text', text: (step.task ? '[' + step.task + '] ' : '') + step.text }));
      })))));
  sessionsShown = true;
  document.getElementById('no-sessions').hidden = data.agents.length > 0;
}

// ---- start --------------------------------------------------------------------------------------

function connect() {
  if (source) source.close();
  setLive('connecting');
  source = new EventSource(API + '/events');
  source.addEventListener('open', () => setLive('live'));
  source.addEventListener('board', event => {
    setLive('live');
    render(JSON.parse(event.data));
  });
  source.addEventListener('sessions', event => renderSessions(JSON.parse(event.data)));
  source.addEventListener('error', () => {
    setLive('reconnecting');
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (the stream was refused): find out whether the session ended, then try again.
      setTimeout(() => api('/me').then(connect, () => setTimeout(connect, 3000)), 2000);
    }
  });
}

async function start() {
  document.getElementById('logout').addEventListener('click', async () => {
    await api('/logout', { method: 'POST' }).catch(() => {});
    location.href = 'login.html';
  });
  const me = await (await api('/me')).json();
  document.getElementById('who').textContent = `${me.approver} · ${me.projects.join(', ')}`;
  render(await (await api('/board')).json());
  renderSessions(await (await api('/sessions')).json());
  connect();
}

start().catch(e => {
  if (e.message !== 'not signed in') toast('The dashboard could not load: ' + e.message, 'error');
});
