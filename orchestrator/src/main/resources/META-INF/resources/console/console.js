/*
 * dfmigrate console: a page of plain JavaScript on the public REST API (/api/migrations), nothing else. Every value
 * from the API is put into the page as text (textContent), never as HTML. The token lives in this tab's
 * sessionStorage and goes out only as the Authorization header of calls to this origin.
 */
'use strict';

const STATES = ['CREATED', 'VALIDATING', 'VALIDATED', 'VALIDATION_FAILED', 'COPYING', 'REPLICATING', 'COMPLETED', 'STOPPED', 'FAILED'];
const ENDED = ['COMPLETED', 'STOPPED', 'FAILED'];
const EDITABLE = ['CREATED', 'VALIDATION_FAILED'];
const TOKEN_KEY = 'dfm.token';

/* ---------- small helpers ---------- */

/** An element with attributes (on* are listeners) and children (strings become text nodes). */
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const $ = (id) => document.getElementById(id);
const num = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
const time = (t) => (t ? new Date(t).toLocaleString('en-GB', { hour12: false }) : '–');

function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

function millis(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s';
}

function badge(state) {
  return h('span', { class: 'badge state-' + String(state).toLowerCase(), 'data-state': state }, state);
}

function banner(message, kind) {
  const b = $('banner');
  b.textContent = message || '';
  b.className = 'banner ' + (kind || 'error');
  b.hidden = !message;
}

/* ---------- the API ---------- */

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || 'HTTP ' + status);
    this.status = status;
    this.problem = problem || {};
  }
}

const api = {
  token: sessionStorage.getItem(TOKEN_KEY),

  headers(extra) {
    const out = Object.assign({ Accept: 'application/json' }, extra || {});
    if (this.token) out.Authorization = 'Bearer ' + this.token;
    return out;
  },

  async call(method, path, body) {
    const init = { method, headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    let r;
    try {
      r = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, { detail: 'the orchestrator cannot be reached: ' + e.message });
    }
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (r.status === 401) {
      signOut('Your session was refused (401): sign in again.');
      throw new ApiError(401, json);
    }
    if (!r.ok) throw new ApiError(r.status, json);
    return { json, headers: r.headers };
  },

  get(path) { return this.call('GET', path).then((r) => r.json); },
  post(path, body) { return this.call('POST', path, body).then((r) => r.json); },
  put(path, body) { return this.call('PUT', path, body).then((r) => r.json); },

  /** A text download (the ACL file) saved under {@code name}; it never passes through the page's DOM as text. */
  async download(path, name) {
    const r = await fetch(path, { headers: this.headers({ Accept: 'text/plain' }) });
    if (!r.ok) {
      let json = null;
      try { json = await r.json(); } catch (e) { json = null; }
      throw new ApiError(r.status, json);
    }
    const url = URL.createObjectURL(await r.blob());
    const a = h('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  },
};

/**
 * Server-sent events of one migration read with fetch (EventSource cannot send the Authorization header). Calls
 * {@code onView} with each view; resolves when the stream ends (a terminal state) and rejects on errors.
 */
async function follow(id, signal, onView) {
  const r = await fetch('/api/migrations/' + encodeURIComponent(id) + '/events',
    { headers: api.headers({ Accept: 'text/event-stream' }), signal });
  if (!r.ok || !r.body) throw new ApiError(r.status, null);
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (data) onView(JSON.parse(data));
    }
  }
}

/* ---------- sign-in ---------- */

function signOut(message) {
  api.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  view.stop();
  location.hash = '#/sign-in';
  if (message) banner(message, 'error');
}

function renderSignIn(main) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true,
    'aria-describedby': 'token-help' });
  const error = h('p', { class: 'field-error', id: 'token-error', role: 'alert' });
  const form = h('form', { id: 'sign-in', class: 'card narrow', onsubmit: async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    api.token = input.value.trim();
    try {
      await api.get('/api/migrations?limit=1');
      sessionStorage.setItem(TOKEN_KEY, api.token);
      banner('');
      location.hash = '#/';
    } catch (e) {
      api.token = null;
      error.textContent = e.status === 401 ? 'This token is not accepted.' : e.message;
    }
  } },
  h('h1', {}, 'Sign in'),
  h('label', { for: 'token' }, 'API token'),
  input,
  h('p', { class: 'help', id: 'token-help' },
    'The orchestrator\'s DFM_ORCHESTRATOR_API_TOKEN (deploy/local/run.sh prints where it is), the viewer token for '
    + 'reading only, or an access token of your identity provider when the orchestrator uses OIDC.'),
  error,
  h('button', { type: 'submit', class: 'primary', id: 'sign-in-button' }, 'Sign in'));
  main.append(form);
  input.focus();
}

/* ---------- the list ---------- */

async function renderList(main, params) {
  const state = params.get('state') || '';
  const filter = h('select', { id: 'state-filter', onchange: () => { location.hash = '#/' + (filter.value ? '?state=' + filter.value : ''); } },
    h('option', { value: '' }, 'All states'), STATES.map((s) => h('option', { value: s, selected: s === state }, s)));
  const body = h('tbody', { id: 'migrations' });
  const count = h('span', { class: 'muted', id: 'migration-count' });
  main.append(h('section', { class: 'card' },
    h('div', { class: 'row spread' }, h('h1', {}, 'Migrations'),
      h('div', { class: 'row' }, h('label', { for: 'state-filter' }, 'State'), filter, h('a', { href: '#/new', class: 'button primary' }, 'New migration'))),
    h('div', { class: 'scroll' }, h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ['Name', 'State', 'Source → target', 'Progress', 'Lag', 'Started', 'Ended'].map((c) => h('th', { scope: 'col' }, c)))),
      body)),
    count));

  const load = async () => {
    const r = await api.call('GET', '/api/migrations?limit=200' + (state ? '&state=' + encodeURIComponent(state) : ''));
    body.replaceChildren(...r.json.map((m) => h('tr', { 'data-id': m.id },
      h('td', {}, h('a', { href: '#/m/' + m.id }, m.name)),
      h('td', {}, badge(m.state)),
      h('td', { class: 'uri' }, m.source.uri, ' → ', m.target.uri),
      h('td', {}, m.progress.percent === null ? '–' : m.progress.percent.toFixed(1) + ' %'),
      h('td', {}, m.state === 'REPLICATING' ? millis(m.replication.lagMillis) : '–'),
      h('td', {}, time(m.timestamps.copyStartedAt)),
      h('td', {}, time(m.timestamps.endedAt)))));
    if (r.json.length === 0) body.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, state ? 'No migration in ' + state + '.' : 'No migration yet.')));
    count.textContent = r.headers.get('X-Total-Count') + ' migration(s)' + (state ? ' in ' + state : '');
  };
  await load();
  view.every(5000, load);
}

/* ---------- create and edit ---------- */

const OPTION_HELP = {
  dbs: 'Source database indexes to copy, comma-separated; empty: every database that has keys.',
  keyPattern: 'Only keys matching this SCAN MATCH glob; * is every key.',
  targetProfile: 'auto: probe the target; dragonfly: apply Dragonfly\'s limits whatever the target is.',
  overwrite: 'Allow a target that already holds keys (keys of the same name are replaced).',
  guardTarget: 'Keep the target read-only for everyone but the migration while it runs.',
  configureSourceNotifications: 'Let dfmigrate set notify-keyspace-events on the source (restored afterwards).',
  onKeyError: 'skip: record a key that cannot be copied and go on; fail: stop the migration.',
  maxSourceOpsPerSecond: 'Rate limit on the source in operations per second; empty: unlimited.',
  copyMode: 'scan: SCAN and DUMP each key (works on any source). snapshot: read the source\'s RDB snapshot as a replica '
    + 'would (faster, one fork on the source; its user needs +psync +replconf; Redis up to 8.4; every key of the databases). '
    + 'auto: the snapshot where the source allows it, else scan; the check and the copy say which and why.',
  migrateUsers: 'At the cutover, create the source\'s ACL users on the target (own passwords, key patterns, rights; not the '
    + 'default user) before the applications switch. Needs the target guard; both users need +acl.',
  migrateConfig: 'At the cutover, give the target the source\'s settings that shape how data behaves (maxmemory-policy, '
    + 'timeout, notify-keyspace-events, the encodings\' thresholds…); a list of names given over the API is kept.',
};

/** The options the form was made from: a migrateConfig list given over the API survives an edit in the console. */
let formOptions = null;

/** Host, port, user, path and query of a (masked) endpoint URI; the password is never known to the console. */
function parseUri(uri) {
  const m = /^(rediss?):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?(\[[^\]]+\]|[^:/?]+)(?::(\d+))?(\/[^?]*)?(\?.*)?$/.exec(uri || '');
  if (!m) return { tls: false, user: '', hasPassword: false, host: '', port: '6379', rest: '' };
  return { tls: m[1] === 'rediss', user: decodeURIComponent(m[2] || ''), hasPassword: m[3] !== undefined && m[3] !== '',
    host: m[4].replace(/^\[|\]$/g, ''), port: m[5] || '6379', rest: (m[6] || '') + (m[7] || '') };
}

function endpointFields(role, title, current) {
  const p = current ? parseUri(current.uri) : { tls: false, user: '', hasPassword: false, host: '', port: '6379', rest: '' };
  const id = (f) => role + '-' + f;
  const field = (f, label, input, help) => h('div', { class: 'field' }, h('label', { for: id(f) }, label), input,
    help ? h('p', { class: 'help' }, help) : null);
  const ca = h('input', { id: id('ca'), type: 'file', accept: '.pem,.crt,.cer,text/plain' });
  const set = h('fieldset', { id: role, 'data-original': current ? current.uri : '' },
    h('legend', {}, title),
    h('div', { class: 'grid2' },
      field('host', 'Host', h('input', { id: id('host'), required: true, value: p.host, autocomplete: 'off' })),
      field('port', 'Port', h('input', { id: id('port'), type: 'number', min: 1, max: 65535, required: true, value: p.port }))),
    h('div', { class: 'grid2' },
      field('user', 'User', h('input', { id: id('user'), value: p.user, autocomplete: 'off' }), 'Empty: the default user.'),
      field('password', 'Password', h('input', { id: id('password'), type: 'password', autocomplete: 'new-password',
        placeholder: current && p.hasPassword ? 'unchanged unless you type a new one' : '' }),
        current && p.hasPassword ? 'Stored sealed; type it again only to change this endpoint.' : 'Sealed at rest, never shown again.')),
    h('div', { class: 'field check' }, h('input', { id: id('tls'), type: 'checkbox', checked: p.tls }),
      h('label', { for: id('tls') }, 'TLS (rediss://)')),
    field('ca', 'CA certificate (PEM, optional)', ca, 'The CA that signed the server\'s certificate, when it is not a public one.'),
    role === 'source' ? topologyFields(id, current) : null,
    h('p', { class: 'field-error', 'data-error': role, role: 'alert' }));
  set.dataset.rest = withoutSentinel(p.rest);
  set.dataset.hadPassword = p.hasPassword ? 'yes' : '';
  return set;
}

/** A source's topology: one server, or a Sentinel (host and port above) and the name of the master it monitors. */
function topologyFields(id, current) {
  const topology = current && current.topology ? current.topology : 'standalone';
  const field = (f, label, input, help) => h('div', { class: 'field' }, h('label', { for: id(f) }, label), input,
    help ? h('p', { class: 'help' }, help) : null);
  return h('div', {},
    h('div', { class: 'grid2' },
      field('topology', 'Topology', h('select', { id: id('topology') },
        ['standalone', 'sentinel', 'cluster'].map((x) => h('option', { value: x, selected: x === topology }, x))),
        'sentinel: host and port name a Sentinel; the migration follows its master through failovers. cluster: host and port name any node of a Redis Cluster; every master is migrated into the target.'),
      field('master', 'Sentinel master name', h('input', { id: id('master'), value: current && current.masterName ? current.masterName : '',
        autocomplete: 'off' }), 'The name the Sentinel monitors the master by (SENTINEL masters). User and password are the master\'s.')),
    field('sentinel-password', 'Sentinel password (optional)', h('input', { id: id('sentinel-password'), type: 'password',
      autocomplete: 'new-password' }), 'The Sentinel\'s own password, when it has one. Sealed at rest, never shown again.'));
}

/** The URI's path and query without the Sentinel and cluster parameters (given in their own fields). */
function withoutSentinel(rest) {
  const at = rest.indexOf('?');
  if (at < 0) return rest;
  const kept = rest.slice(at + 1).split('&').filter((kv) => !kv.startsWith('sentinel-') && !kv.startsWith('cluster='));
  return rest.slice(0, at) + (kept.length ? '?' + kept.join('&') : '');
}

/** The endpoint the fields describe, or null when they still describe {@code original} (an edit that keeps it). */
async function endpointInput(role) {
  const v = (f) => $(role + '-' + f).value.trim();
  const set = $(role);
  const file = $(role + '-ca').files[0];
  const caPem = file ? await file.text() : null;
  const original = set.dataset.original;
  const password = $(role + '-password').value;
  const host = v('host');
  const scheme = $(role + '-tls').checked ? 'rediss' : 'redis';
  const auth = v('user') || password ? encodeURIComponent(v('user')) + (password ? ':' + encodeURIComponent(password) : '') + '@' : '';
  const uri = scheme + '://' + auth + (host.includes(':') ? '[' + host + ']' : host) + ':' + v('port') + (set.dataset.rest || '');
  const topology = $(role + '-topology') ? $(role + '-topology').value : 'standalone';
  const master = $(role + '-master') ? v('master') : '';
  const sentinelPassword = $(role + '-sentinel-password') ? $(role + '-sentinel-password').value : '';
  if (original) {
    const p = parseUri(original);
    const originalMaster = (/[?&]sentinel-master=([^&]*)/.exec(original) || [])[1] || '';
    const originalTopology = originalMaster ? 'sentinel' : /[?&]cluster=yes/.test(original) ? 'cluster' : 'standalone';
    const same = p.tls === $(role + '-tls').checked && p.host === host && p.port === v('port') && p.user === v('user')
      && originalTopology === topology && decodeURIComponent(originalMaster) === (topology === 'sentinel' ? master : '');
    if (same && !password && !caPem && !sentinelPassword) return null;
    if (!password && set.dataset.hadPassword) {
      throw new FieldProblem(role, 'type the password again to change this endpoint (it is stored sealed and never shown)');
    }
    if (topology === 'sentinel' && !sentinelPassword && /[?&]sentinel-password=/.test(original)) {
      throw new FieldProblem(role, 'type the Sentinel password again to change this endpoint (it is stored sealed and never shown)');
    }
  }
  const input = caPem ? { uri, caPem } : { uri };
  if (topology === 'sentinel') {
    Object.assign(input, { topology, masterName: master }, sentinelPassword ? { sentinelPassword } : {});
  } else if (topology === 'cluster') {
    input.topology = topology;
  }
  return input;
}

class FieldProblem extends Error {
  constructor(field, message) { super(message); this.field = field; }
}

function optionFields(current) {
  const o = current || { overwrite: false, dbs: [], keyPattern: '*', targetProfile: 'auto', configureSourceNotifications: false,
    guardTarget: true, onKeyError: 'skip', maxSourceOpsPerSecond: null, copyMode: 'scan', migrateUsers: false, migrateConfig: false };
  formOptions = o;
  const id = (f) => 'opt-' + f;
  const help = (f) => h('p', { class: 'help', id: id(f) + '-help' }, OPTION_HELP[f]);
  const error = (f) => h('p', { class: 'field-error', 'data-error': 'options.' + f, role: 'alert' });
  const text = (f, label, value, extra) => h('div', { class: 'field' }, h('label', { for: id(f) }, label),
    h('input', Object.assign({ id: id(f), value: value === null || value === undefined ? '' : value, 'aria-describedby': id(f) + '-help' }, extra || {})),
    help(f), error(f));
  const select = (f, label, values, value) => h('div', { class: 'field' }, h('label', { for: id(f) }, label),
    h('select', { id: id(f), 'aria-describedby': id(f) + '-help' }, values.map((x) => h('option', { value: x, selected: x === value }, x))),
    help(f), error(f));
  const check = (f, label, value) => h('div', { class: 'field check' },
    h('input', { id: id(f), type: 'checkbox', checked: !!value, 'aria-describedby': id(f) + '-help' }),
    h('label', { for: id(f) }, label), help(f), error(f));
  return h('fieldset', { id: 'options' }, h('legend', {}, 'Options'),
    h('div', { class: 'grid2' },
      text('dbs', 'Databases', (o.dbs || []).join(','), { placeholder: 'all with keys', inputmode: 'numeric' }),
      text('keyPattern', 'Key pattern', o.keyPattern)),
    h('div', { class: 'grid2' },
      select('targetProfile', 'Target profile', ['auto', 'dragonfly'], o.targetProfile),
      select('onKeyError', 'On a key error', ['skip', 'fail'], o.onKeyError)),
    h('div', { class: 'grid2' },
      select('copyMode', 'Initial copy', ['scan', 'snapshot', 'auto'], o.copyMode || 'scan'),
      text('maxSourceOpsPerSecond', 'Rate limit (operations/s on the source)', o.maxSourceOpsPerSecond, { type: 'number', min: 1, placeholder: 'unlimited' })),
    check('guardTarget', 'Guard the target', o.guardTarget),
    check('overwrite', 'Allow a non-empty target (overwrite)', o.overwrite),
    check('configureSourceNotifications', 'Configure the source\'s keyspace notifications', o.configureSourceNotifications),
    check('migrateUsers', 'Create the source\'s users on the target at the cutover', o.migrateUsers),
    check('migrateConfig', 'Give the target the source\'s settings at the cutover', Array.isArray(o.migrateConfig)
      ? o.migrateConfig.length > 0 : o.migrateConfig));
}

function readOptions() {
  const v = (f) => $('opt-' + f);
  const dbs = v('dbs').value.trim();
  const rate = v('maxSourceOpsPerSecond').value.trim();
  const list = dbs ? dbs.split(',').map((x) => x.trim()) : [];
  if (list.some((x) => !/^\d+$/.test(x))) throw new FieldProblem('options.dbs', 'database indexes are whole numbers, e.g. 0,1');
  return {
    overwrite: v('overwrite').checked,
    dbs: list.map(Number),
    keyPattern: v('keyPattern').value || '*',
    targetProfile: v('targetProfile').value,
    configureSourceNotifications: v('configureSourceNotifications').checked,
    guardTarget: v('guardTarget').checked,
    onKeyError: v('onKeyError').value,
    maxSourceOpsPerSecond: rate ? Number(rate) : null,
    copyMode: v('copyMode').value,
    migrateUsers: v('migrateUsers').checked,
    migrateConfig: v('migrateConfig').checked
      ? (formOptions && Array.isArray(formOptions.migrateConfig) && formOptions.migrateConfig.length ? formOptions.migrateConfig : true)
      : false,
  };
}

/** Shows each error of a problem next to the field it names ({@code source.uri} next to the source, and so on). */
function showErrors(form, problem, fallback) {
  form.querySelectorAll('[data-error]').forEach((e) => { e.textContent = ''; });
  const unplaced = [];
  for (const err of (problem.errors || [])) {
    const field = err.field.replace(/\[\d+\]$/, '');
    const slot = form.querySelector('[data-error="' + CSS.escape(field) + '"]')
      || form.querySelector('[data-error="' + CSS.escape(field.split('.')[0]) + '"]');
    if (slot) slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + err.field + ' ' + err.message;
    else unplaced.push(err.field + ' ' + err.message);
  }
  fallback.textContent = unplaced.length ? unplaced.join('; ') : (problem.errors && problem.errors.length ? 'Fix the fields marked below.' : (problem.detail || problem.title || ''));
  const first = form.querySelector('[data-error]:not(:empty)');
  if (first) first.scrollIntoView({ block: 'center' });
}

async function renderForm(main, id) {
  const m = id ? await api.get('/api/migrations/' + encodeURIComponent(id)) : null;
  if (m && !EDITABLE.includes(m.state)) {
    main.append(h('section', { class: 'card' }, h('h1', {}, 'Edit ' + m.name),
      h('p', {}, 'A migration can be edited only before its copy (' + EDITABLE.join(', ') + '); this one is ' + m.state + '.'),
      h('a', { href: '#/m/' + m.id }, 'Back')));
    return;
  }
  const formError = h('p', { class: 'field-error', id: 'form-error', role: 'alert' });
  const form = h('form', { id: 'migration-form', class: 'card', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const body = { name: $('name').value.trim() };
      const source = await endpointInput('source');
      const target = await endpointInput('target');
      if (source) body.source = source;
      if (target) body.target = target;
      body.options = readOptions();
      const saved = m ? await api.call('PATCH', '/api/migrations/' + m.id, body).then((r) => r.json) : await api.post('/api/migrations', body);
      location.hash = '#/m/' + saved.id;
    } catch (e) {
      if (e instanceof FieldProblem) showErrors(form, { errors: [{ field: e.field, message: e.message }] }, formError);
      else showErrors(form, e.problem || { detail: e.message }, formError);
    } finally {
      submit.disabled = false;
    }
  } },
  h('h1', {}, m ? 'Edit ' + m.name : 'New migration'),
  m ? h('p', { class: 'muted' }, 'The check\'s last results are dropped when you save: run the check again afterwards.') : null,
  h('div', { class: 'field' }, h('label', { for: 'name' }, 'Name'),
    h('input', { id: 'name', required: true, maxlength: 200, value: m ? m.name : '' }),
    h('p', { class: 'field-error', 'data-error': 'name', role: 'alert' })),
  h('div', { class: 'grid2 align-top' }, endpointFields('source', 'Source (Redis)', m && m.source), endpointFields('target', 'Target (Dragonfly)', m && m.target)),
  optionFields(m && m.options),
  formError,
  h('div', { class: 'buttons' },
    h('a', { href: m ? '#/m/' + m.id : '#/', class: 'button' }, 'Cancel'),
    h('button', { type: 'submit', class: 'primary', id: 'save' }, m ? 'Save changes' : 'Create migration')));
  main.append(form);
  $('name').focus();
}

/* ---------- one migration ---------- */

const ACTIONS = {
  validate: { label: (m) => (m.validation ? 'Run check again' : 'Run check'), title: 'Run the check',
    text: () => ['The validator connects to the source and the target and checks them: versions, credentials, space, '
      + 'settings, what Dragonfly does not support. Nothing is written. The results show here with what to do about each.'] },
  start: { label: () => 'Start migration', title: 'Start the migration',
    text: () => ['The target is guarded (when the option is on), changes on the source are captured, then every key is copied. '
      + 'When the copy is done the migration replicates every change until you complete or stop it.'] },
  stop: { label: () => 'Stop migration', title: 'Stop the migration', danger: true,
    text: (m) => [m.state === 'REPLICATING' ? 'Replication stops now.' : 'The copy stops now.',
      'The data already copied stays on the target; the source is not changed. You can start over later.'] },
  'keep-replicating': { label: () => 'Keep replicating', title: 'Keep replicating',
    text: () => ['Replication goes on; the decision is recorded in the audit trail. Complete or stop it whenever you are ready.'] },
  'stop-replication': { action: 'complete', body: { cutover: false }, label: () => 'Stop replication', title: 'Stop replication',
    text: () => ['Replication ends now, without pausing the source: writes made to the source from now on do not reach the target.',
      'The migration becomes COMPLETED. Use "Complete with cutover" instead to be sure the target has every write.'] },
  cutover: { action: 'complete', body: { cutover: true }, label: () => 'Complete with cutover', title: 'Complete with cutover', primary: true,
    text: () => ['Writes on the source are paused (CLIENT PAUSE WRITE) while the last changes are applied and the target is checked; '
      + 'then replication ends and the pause is lifted. The pause usually lasts under a second; its length shows here afterwards.',
      'Point your applications at the target once the migration is COMPLETED.'] },
  restart: { label: () => 'Start over', title: 'Start over',
    text: () => ['A new run: the check runs again, and after you start it the copy begins from the first key. '
      + 'What this migration already copied stays on the target and is copied over.'] },
  verify: { label: () => 'Verify', title: 'Verify source and target',
    text: () => ['Every key is compared on both sides (existence, type, value by a hash, TTL within 1 s). It reads each key on '
      + 'the source and the target once more; keys changing during the check are checked again after their change reached the target.'] },
};

/** The buttons for what the migration allows now, in the order users meet them. */
function actionButtons(m, onAct) {
  const allowed = m.allowedActions || [];
  const names = [];
  const add = (api, name) => { if (allowed.includes(api)) names.push(name || api); };
  add('validate');
  add('start');
  add('complete', 'cutover');
  add('keep-replicating');
  add('complete', 'stop-replication');
  add('verify');
  add('restart');
  add('stop');
  const buttons = names.map((n) => h('button', { type: 'button', id: 'action-' + n,
    class: ACTIONS[n].primary || n === 'start' ? 'primary' : (ACTIONS[n].danger ? 'danger' : ''), onclick: () => onAct(n) },
  ACTIONS[n].label(m)));
  if (EDITABLE.includes(m.state)) buttons.push(h('a', { href: '#/m/' + m.id + '/edit', class: 'button', id: 'action-edit' }, 'Edit'));
  if (ENDED.includes(m.state)) buttons.push(h('button', { type: 'button', id: 'action-delete', class: 'danger', onclick: () => onAct('delete') }, 'Delete'));
  return buttons;
}

/** Asks before an action, saying what will happen; resolves to the extra body fields, or null when cancelled. */
function confirmAction(name, m) {
  const dialog = $('confirm');
  const body = $('confirm-body');
  const spec = name === 'delete' ? { title: 'Delete the migration', danger: true,
    text: () => ['The migration and the credentials it holds are deleted. Its audit trail stays readable. Nothing changes on either server.'] }
    : ACTIONS[name];
  $('confirm-title').textContent = spec.title;
  body.replaceChildren(...spec.text(m).map((t) => h('p', {}, t)));
  let extra = () => ({});
  const warnings = (m.validation && m.validation.checks || []).filter((c) => c.severity === 'WARNING');
  const ok = $('confirm-ok');
  ok.textContent = name === 'delete' ? 'Delete' : ACTIONS[name].label(m);
  ok.className = spec.danger ? 'danger' : 'primary';
  ok.disabled = false;
  if (name === 'start' && warnings.length) {
    const ack = h('input', { type: 'checkbox', id: 'acknowledge-warnings' });
    body.append(h('p', {}, 'The check left ' + warnings.length + ' warning(s):'),
      h('ul', {}, warnings.map((w) => h('li', {}, w.message))),
      h('div', { class: 'field check' }, ack, h('label', { for: 'acknowledge-warnings' }, 'I have read the warnings; start anyway')));
    ok.disabled = true;
    ack.addEventListener('change', () => { ok.disabled = !ack.checked; });
    extra = () => ({ acknowledgeWarnings: true });
  }
  if (name === 'verify') {
    const mode = h('select', { id: 'verify-mode' }, h('option', { value: 'full' }, 'every key'), h('option', { value: 'sample' }, 'a sample'));
    const sample = h('input', { id: 'verify-sample', type: 'number', min: 1, value: 10000 });
    body.append(h('div', { class: 'grid2' }, h('div', { class: 'field' }, h('label', { for: 'verify-mode' }, 'Compare'), mode),
      h('div', { class: 'field' }, h('label', { for: 'verify-sample' }, 'Keys in the sample'), sample)));
    extra = () => (mode.value === 'sample' ? { mode: 'sample', sample: Number(sample.value) } : { mode: 'full' });
  }
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? extra() : null), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

const PHASES = [
  ['validated', 'Validated'], ['copying', 'Copying'], ['replicating', 'Replicating'], ['cutover', 'Cutover'], ['completed', 'Completed'],
];

function phaseOf(m) {
  if (m.state === 'COMPLETED') return 4;
  if (m.state === 'REPLICATING') return m.cutover && m.cutover.state ? 3 : 2;
  if (m.state === 'COPYING') return 1;
  if (m.state === 'VALIDATED') return 0;
  if (m.timestamps.copyFinishedAt) return 2;
  if (m.timestamps.copyStartedAt) return 1;
  return m.timestamps.validatedAt ? 0 : -1;
}

function timeline(m) {
  const at = phaseOf(m);
  const ended = ENDED.includes(m.state) && m.state !== 'COMPLETED';
  return h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'Phases' }, PHASES.map(([key, label], i) => {
    const cls = i < at || (i === at && m.state === 'COMPLETED') ? 'done' : i === at ? (ended ? 'halted' : 'current') : 'todo';
    return h('li', { class: cls, 'data-phase': key, 'aria-current': cls === 'current' ? 'step' : null }, label);
  }), ended ? h('li', { class: 'halted', 'data-phase': m.state.toLowerCase() }, m.state === 'FAILED' ? 'Failed' : 'Stopped') : null);
}

function stat(label, value, id) {
  return h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value', id }, value));
}

function checks(m) {
  const list = (m.validation && m.validation.checks) || [];
  if (!m.validation) {
    return h('section', { class: 'card', id: 'validation' }, h('h2', {}, 'Check'),
      h('p', { class: 'muted' }, m.state === 'VALIDATING' ? 'The check is running…' : 'Not checked yet: run the check before starting.'));
  }
  const order = { ERROR: 0, WARNING: 1, INFO: 2 };
  const sorted = [...list].sort((a, b) => order[a.severity] - order[b.severity]);
  const errors = list.filter((c) => c.severity === 'ERROR').length;
  const warnings = list.filter((c) => c.severity === 'WARNING').length;
  return h('section', { class: 'card', id: 'validation' }, h('h2', {}, 'Check'),
    h('p', { id: 'validation-summary' }, errors ? errors + ' error(s) block the start: fix them, then run the check again.'
      : warnings ? warnings + ' warning(s): read them; starting needs your acknowledgement.' : 'Everything checked is fine.'),
    h('ul', { class: 'checks' }, sorted.map((c) => h('li', { class: 'check-' + c.severity.toLowerCase(), 'data-check': c.id },
      h('span', { class: 'severity' }, c.severity), h('div', {}, h('p', { class: 'message' }, c.message),
        c.remediation ? h('p', { class: 'remediation' }, h('strong', {}, 'What to do: '), c.remediation) : null)))));
}

function progress(m, failures) {
  const p = m.progress;
  const live = p.live;
  const percent = p.percent === null ? null : Math.min(100, p.percent);
  return h('section', { class: 'card', id: 'progress' }, h('h2', {}, 'Copy'),
    h('div', { class: 'row' }, h('progress', { max: 100, value: percent === null ? null : percent, id: 'copy-bar', 'aria-label': 'Copy progress' }),
      h('span', { id: 'copy-percent' }, percent === null ? '–' : percent.toFixed(1) + ' %')),
    h('div', { class: 'stats' },
      stat('Keys copied', num(p.keysCopied) + (p.keysTotal === null ? '' : ' / ' + num(p.keysTotal)), 'keys-copied'),
      stat('Bytes copied', bytes(p.bytesCopied), 'bytes-copied'),
      stat('Keys/s', p.keysPerSecond === null ? '–' : num(Math.round(p.keysPerSecond)), 'keys-per-second'),
      stat('ETA', duration(p.etaSeconds), 'eta'),
      stat('Copied by type', num(p.keysStructural), 'keys-structural'),
      stat('Failed keys', num(p.keysFailed), 'keys-failed'),
      live ? stat('Copiers', num(live.workers), 'copiers') : null,
      live ? stat('Big-key elements', num(live.bigKeyElements), 'big-key-elements') : null),
    p.copyMode ? h('p', { id: 'copy-mode' }, h('strong', {}, 'Copy by ' + p.copyMode + ': '), p.copyModeReason || '') : null,
    p.stalled ? h('p', { class: 'warning', id: 'copy-stalled' }, 'Stalled: ' + p.stalled) : null,
    failures.length ? h('div', { id: 'key-failures' }, h('h3', {}, 'Failed keys (first reasons)'),
      h('ul', {}, failures.slice(0, 5).map((a) => h('li', {}, a.detail)))) : null);
}

/** Lag and pending changes of the last samples as an SVG chart; reconciliations and takeovers as marks on it. */
function chart(samples, marks) {
  const W = 600;
  const H = 120;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('id', 'lag-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Lag and pending changes over the last ' + samples.length + ' updates');
  svg.setAttribute('data-samples', samples.length);
  if (samples.length < 2) return svg;
  const t0 = samples[0].t;
  const t1 = samples[samples.length - 1].t;
  const x = (t) => (t1 === t0 ? W : ((t - t0) / (t1 - t0)) * (W - 4) + 2);
  const line = (key, cls) => {
    const max = Math.max(1, ...samples.map((s) => s[key] || 0));
    const pl = document.createElementNS(ns, 'polyline');
    pl.setAttribute('points', samples.map((s) => x(s.t).toFixed(1) + ',' + (H - 4 - ((s[key] || 0) / max) * (H - 20)).toFixed(1)).join(' '));
    pl.setAttribute('class', cls);
    svg.append(pl);
  };
  line('lag', 'lag');
  line('pending', 'pending');
  for (const mk of marks.filter((k) => k.t >= t0)) {
    const l = document.createElementNS(ns, 'line');
    l.setAttribute('x1', x(mk.t)); l.setAttribute('x2', x(mk.t)); l.setAttribute('y1', 0); l.setAttribute('y2', H);
    l.setAttribute('class', 'mark ' + mk.kind);
    const title = document.createElementNS(ns, 'title');
    title.textContent = mk.label;
    l.append(title);
    svg.append(l);
  }
  return svg;
}

function replication(m, history) {
  const r = m.replication;
  return h('section', { class: 'card', id: 'replication' }, h('h2', {}, 'Replication'),
    h('div', { class: 'stats' },
      stat('Lag', millis(r.lagMillis), 'lag'),
      stat('Pending changes', num(r.pendingChanges), 'pending'),
      stat('Applied changes', num(r.appliedChanges), 'applied'),
      stat('Applied/s', r.appliedPerSecond === null ? '–' : num(Math.round(r.appliedPerSecond)), 'applied-per-second'),
      stat('Catch-up ETA', duration(r.etaSeconds), 'catch-up'),
      stat('Reconciliations', num(r.reconciliations) + (r.reconciling ? ' (running)' : ''), 'reconciliations'),
      stat('Capture', (r.captureWorker || '–') + (r.captureTakeovers ? ', ' + r.captureTakeovers + ' takeover(s)' : ''), 'capture')),
    h('figure', {}, chart(history.samples, history.marks),
      h('figcaption', { class: 'legend' },
        h('span', { class: 'key lag' }, 'lag (top: ' + millis(Math.max(0, ...history.samples.map((x) => x.lag))) + ')'),
        h('span', { class: 'key pending' }, 'pending changes (top: ' + num(Math.max(0, ...history.samples.map((x) => x.pending))) + ')'),
        h('span', { class: 'key mark' }, 'reconciliation / capture takeover'))),
    r.stalled ? h('p', { class: 'warning', id: 'replication-stalled' }, 'Stalled: ' + r.stalled) : null,
    r.applierError ? h('p', { class: 'warning' }, 'Appliers: ' + r.applierError) : null);
}

/** A Redis Cluster source: one row per master with its copy, replication and cutover figures. */
function shards(m) {
  const list = m.shards;
  if (!list || !list.length) return null;
  const yesNo = (b) => (b == null ? '–' : b ? 'yes' : 'no');
  return h('section', { class: 'card', id: 'shards' }, h('h2', {}, 'Shards (' + list.length + ' masters)'),
    h('table', { class: 'shards' },
      h('thead', {}, h('tr', {}, ['Master', 'Copied', 'Copy', 'Failed', 'Captured', 'Subscribed', 'Applied', 'Lag',
        'Paused', 'Keys at cutover', 'Differ'].map((t) => h('th', {}, t)))),
      h('tbody', {}, list.map((s) => h('tr', { 'data-shard': s.server },
        h('td', {}, s.server),
        h('td', {}, num(s.keysCopied) + (s.keysTotal == null ? '' : ' / ' + num(s.keysTotal))),
        h('td', {}, s.percent == null ? '–' : s.percent.toFixed(1) + ' %'),
        h('td', {}, num(s.keysFailed)),
        h('td', {}, s.captured == null ? '–' : num(s.captured)),
        h('td', {}, yesNo(s.subscribed)),
        h('td', {}, num(s.appliedChanges)),
        h('td', {}, millis(s.lagMillis)),
        h('td', {}, yesNo(s.paused)),
        h('td', {}, s.cutoverKeys == null ? '–' : num(s.cutoverKeys)),
        h('td', {}, s.cutoverDiffer == null ? '–' : num(s.cutoverDiffer)))))),
    h('p', { class: 'muted' }, 'A master that failed over keeps its row; its replacement has its own.'));
}

function cutover(m) {
  const c = m.cutover;
  if (!c || !c.state) return null;
  return h('section', { class: 'card', id: 'cutover' }, h('h2', {}, 'Cutover'),
    h('div', { class: 'stats' }, stat('State', c.state, 'cutover-state'), stat('Source writes paused', millis(c.pauseMillis), 'cutover-pause')),
    c.detail ? h('p', { id: 'cutover-detail' }, c.detail) : null);
}

/**
 * The latest verification; its first 100 differences from the view, and more pages from {@code GET …/verification/diff}
 * on request ({@code more}: the pages loaded so far for this verification).
 */
function verification(m, more, loadMore) {
  const v = m.verification;
  if (!v || !v.state) return null;
  const reasons = Object.entries(v.reasons || {});
  const rows = (v.differences || []).slice(0, 100).concat(more.number === v.number ? more.items : []);
  const listed = v.keysDiffering + v.keysUnsettled;
  const canLoad = more.number === v.number ? more.next !== null : rows.length < listed;
  return h('section', { class: 'card', id: 'verification' }, h('h2', {}, 'Verification ' + v.number),
    h('div', { class: 'stats' },
      stat('State', v.state, 'verification-state'),
      stat('Keys checked', num(v.keysChecked) + (v.keysTotal === null || v.state !== 'RUNNING' ? '' : ' of about ' + num(v.keysTotal)),
        'verification-checked'),
      stat('Differing', num(v.keysDiffering), 'verification-differing'),
      stat('Unsettled', num(v.keysUnsettled), 'verification-unsettled')),
    reasons.length ? h('p', {}, 'By reason: ' + reasons.map(([k, n]) => k + ' ' + n).join(', ')) : null,
    v.error ? h('p', { class: 'warning' }, v.error) : null,
    rows.length ? h('div', { class: 'scroll' }, h('table', { id: 'differences', 'data-rows': rows.length },
      h('thead', {}, h('tr', {}, ['DB', 'Key', 'Reason', 'Source', 'Target'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((d) => h('tr', {}, h('td', {}, d.db), h('td', { class: 'key' }, d.key),
        h('td', {}, d.reason), h('td', {}, side(d.source)), h('td', {}, side(d.target))))))) : null,
    rows.length ? h('p', { class: 'muted', id: 'differences-shown' }, rows.length + ' of ' + num(listed) + ' listed key(s) shown') : null,
    canLoad && rows.length ? h('button', { type: 'button', id: 'more-differences', onclick: () => loadMore(v.number, rows[rows.length - 1].id) },
      'Show 100 more') : null);
}

function side(s) {
  if (!s || s.type === 'none') return 'missing';
  return s.type + (s.length === null ? '' : ', length ' + s.length) + (s.ttlMillis === -1 || s.ttlMillis === null ? '' : ', TTL ' + millis(s.ttlMillis));
}

function audit(entries) {
  return h('section', { class: 'card', id: 'audit' }, h('h2', {}, 'Audit trail'),
    h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Time', 'Actor', 'Action', 'State', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', { id: 'audit-entries' }, [...entries].reverse().map((a) => h('tr', { 'data-action': a.action },
        h('td', {}, time(a.time)), h('td', {}, a.actor), h('td', {}, a.action),
        h('td', {}, a.toState ? (a.fromState ? a.fromState + ' → ' : '') + a.toState : ''), h('td', { class: 'detail' }, a.detail || '')))))));
}

const HANDOVER_ACTIONS = ['users-migrated', 'users-incomplete', 'config-migrated', 'config-incomplete'];

/**
 * Users and settings at the cutover ({@code options.migrateUsers}, {@code migrateConfig}): what the cutover handed over
 * (from the audit trail), and, for a target that takes no password hash (Dragonfly), passwords per user and the ACL
 * file. Made once per page and kept across updates, so what is typed survives the live view's refreshes.
 */
function handoverCard(path) {
  const results = h('ul', { id: 'handover-results', class: 'checks' });
  const given = h('p', { class: 'muted', id: 'passwords-given' });
  const rows = h('div', { id: 'password-rows' });
  const addRow = () => rows.append(h('div', { class: 'grid2 password-row' },
    h('input', { class: 'pw-user', 'aria-label': 'User name', autocomplete: 'off', placeholder: 'user name' }),
    h('input', { class: 'pw-pass', 'aria-label': 'Password', type: 'password', autocomplete: 'new-password', placeholder: 'password' })));
  addRow();
  const showGiven = (v) => { given.textContent = v.users.length ? 'Passwords given for: ' + v.users.join(', ') : 'No password given.'; };
  const refresh = () => api.get(path + '/users/passwords').then(showGiven).catch((e) => banner(e.message));
  const give = async () => {
    const body = {};
    rows.querySelectorAll('.password-row').forEach((r) => {
      const user = r.querySelector('.pw-user').value.trim();
      if (user) body[user] = r.querySelector('.pw-pass').value;
    });
    try {
      showGiven(await api.put(path + '/users/passwords', body));
      rows.replaceChildren();
      addRow();
      banner('');
    } catch (e) {
      banner((e.status ? e.status + ': ' : '') + e.message);
    }
  };
  const download = () => api.download(path + '/users/acl-file', 'users.acl').catch((e) => banner((e.status ? e.status + ': ' : '') + e.message));
  const form = h('div', { id: 'passwords-form' },
    h('p', { class: 'help' }, 'A target that takes no password hash (Dragonfly) gets a user with a password only when its password '
      + 'is given here (checked against the source\'s hash; replaces those given before; never shown again), or from the ACL file '
      + 'loaded with its --aclfile.'),
    rows,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'password-add', onclick: addRow }, 'Another user'),
      h('button', { type: 'button', id: 'password-give', onclick: give }, 'Give passwords'),
      h('button', { type: 'button', id: 'acl-file', onclick: download }, 'Download ACL file')));
  const card = h('section', { class: 'card', id: 'handover' }, h('h2', {}, 'Users and settings at the cutover'), results, given, form);
  let loaded = false;
  card.update = (m, entries) => {
    const done = entries.filter((a) => HANDOVER_ACTIONS.includes(a.action));
    results.replaceChildren(...(done.length ? done.map((a) => h('li', { 'data-action': a.action,
      class: a.action.endsWith('incomplete') ? 'check-warning' : 'check-info' }, h('span', { class: 'severity' }, a.action), h('p', {}, a.detail || '')))
      : [h('li', { class: 'muted' }, 'Handed over when the cutover lifts the target guard.')]));
    const users = m.options && m.options.migrateUsers;
    form.hidden = !users || m.state === 'COMPLETED';
    given.hidden = !users;
    if (users && !loaded) {
      loaded = true;
      refresh();
    }
    return card;
  };
  return card;
}

async function renderMigration(main, id) {
  const path = '/api/migrations/' + encodeURIComponent(id);
  const history = { samples: [], marks: [] };
  let entries = [];
  let shownAuditAt = null;
  let current = null;
  const handover = handoverCard(path);

  const act = async (name) => {
    const extra = await confirmAction(name, current);
    if (extra === null) return;
    try {
      if (name === 'delete') {
        await api.call('DELETE', path);
        location.hash = '#/';
        return;
      }
      const spec = ACTIONS[name];
      const body = Object.assign({}, spec.body || {}, extra);
      const m = await api.post(path + '/' + (spec.action || name), Object.keys(body).length ? body : undefined);
      banner('');
      await queue(m);
      live();
    } catch (e) {
      banner((e.status ? e.status + ': ' : '') + e.message, 'error');
    }
  };

  const show = async (m) => {
    if (current && current.replication && m.replication) {
      const now = Date.now();
      if (m.replication.reconciliations > current.replication.reconciliations) {
        history.marks.push({ t: now, kind: 'reconcile', label: 'reconciliation ' + m.replication.reconciliations });
      }
      if (m.replication.captureTakeovers > current.replication.captureTakeovers) {
        history.marks.push({ t: now, kind: 'takeover', label: 'capture taken over by ' + m.replication.captureWorker });
      }
    }
    if (m.state === 'REPLICATING') {
      history.samples.push({ t: Date.now(), lag: m.replication.lagMillis || 0, pending: m.replication.pendingChanges || 0 });
      if (history.samples.length > 120) history.samples.shift();
    }
    current = m;
    if (shownAuditAt !== m.updatedAt) {
      entries = await api.get(path + '/audit');
      shownAuditAt = m.updatedAt;
    }
    const failures = entries.filter((a) => a.action === 'key-errors');
    const focused = document.activeElement && document.activeElement.id;
    main.replaceChildren(
      h('section', { class: 'card' },
        h('div', { class: 'row spread' }, h('h1', { id: 'migration-name' }, m.name), h('span', { id: 'migration-state' }, badge(m.state))),
        h('p', { class: 'uri' }, h('span', { id: 'source-uri' }, m.source.uri), ' → ', h('span', { id: 'target-uri' }, m.target.uri)),
        h('p', { class: 'muted' }, 'Run ' + m.run + ' · created ' + time(m.createdAt) + ' · updated ' + time(m.updatedAt)),
        timeline(m),
        m.error ? h('p', { class: 'warning', id: 'migration-error' }, m.error) : null,
        m.targetGuard && m.targetGuard.status ? h('p', { class: 'muted', id: 'guard' }, 'Target guard: ' + m.targetGuard.status
          + (m.targetGuard.detail ? ' — ' + m.targetGuard.detail : '')) : null,
        h('div', { class: 'buttons actions', id: 'actions' }, actionButtons(m, act))),
      checks(m),
      m.timestamps.copyStartedAt || m.state === 'COPYING' ? progress(m, failures) : '',
      m.state === 'REPLICATING' || history.samples.length ? replication(m, history) : '',
      shards(m) || '',
      cutover(m) || '',
      m.options && (m.options.migrateUsers || (m.options.migrateConfig && m.options.migrateConfig.length !== 0)) ? handover.update(m, entries) : '',
      verification(m, more, loadMore) || '',
      audit(entries));
    if (focused && $(focused)) $(focused).focus();
  };

  const more = { number: null, items: [], next: null };
  const loadMore = async (number, after) => {
    try {
      const page = await api.get(path + '/verification/diff?limit=100&after=' + after);
      if (more.number !== number) Object.assign(more, { number, items: [] });
      more.items.push(...page.items);
      more.next = page.next;
      await queue(current);
    } catch (e) {
      banner(e.message);
    }
  };

  let chain = Promise.resolve();
  /** Views are shown one after the other, in the order they came. */
  const queue = (m) => (chain = chain.then(() => show(m)).catch((e) => banner(e.message)));

  let streaming = false;
  const live = async () => {
    if (streaming) return;
    streaming = true;
    const controller = new AbortController();
    view.onStop(() => controller.abort());
    try {
      while (!controller.signal.aborted) {
        try {
          await follow(id, controller.signal, queue);
          const m = await api.get(path); // the stream ended: a terminal state (or the server went away)
          await queue(m);
          if (ENDED.includes(m.state)) break;
        } catch (e) {
          if (controller.signal.aborted) return;
          if (e.status === 429) banner('Too many live views are open: this page refreshes every 5 s instead.', 'info');
          else if (e.status === 404) { banner('This migration no longer exists.'); return; }
          else if (e.status === 401) { signOut('Your session was refused (401): sign in again.'); return; }
          await new Promise((r) => setTimeout(r, 5000));
          if (e.status === 429) await queue(await api.get(path));
        }
      }
    } finally {
      streaming = false;
    }
  };

  await queue(await api.get(path));
  live();
}

/* ---------- routing ---------- */

const view = {
  stops: [],
  stop() { this.stops.splice(0).forEach((f) => f()); },
  onStop(f) { this.stops.push(f); },
  every(ms, f) {
    const timer = setInterval(() => f().catch((e) => banner(e.message)), ms);
    this.onStop(() => clearInterval(timer));
  },
};

async function route() {
  view.stop();
  const main = $('main');
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(query || '');
  main.replaceChildren();
  $('sign-out').hidden = !api.token;
  $('who').textContent = api.token ? 'signed in with a token' : (authOpen ? 'authentication off' : '');
  if (!api.token && !authOpen && path !== '/sign-in') {
    location.hash = '#/sign-in';
    return;
  }
  try {
    let m;
    if (path === '/sign-in') renderSignIn(main);
    else if (path === '/new') await renderForm(main, null);
    else if ((m = /^\/m\/([0-9a-f-]+)\/edit$/.exec(path))) await renderForm(main, m[1]);
    else if ((m = /^\/m\/([0-9a-f-]+)$/.exec(path))) await renderMigration(main, m[1]);
    else await renderList(main, params);
    document.title = (main.querySelector('h1') ? main.querySelector('h1').textContent + ' · ' : '') + 'dfmigrate';
  } catch (e) {
    if (e.status !== 401) main.append(h('section', { class: 'card' }, h('h1', {}, 'Cannot show this page'), h('p', { class: 'warning' }, e.message)));
  }
}

let authOpen = false;

async function boot() {
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  if (!api.token) {
    const r = await fetch('/api/migrations?limit=1', { headers: { Accept: 'application/json' } }).catch(() => null);
    authOpen = !!r && r.ok; // DFM_ORCHESTRATOR_AUTH=none: nothing to sign in to
  }
  window.addEventListener('hashchange', () => { banner(''); route(); });
  route();
}

boot();
