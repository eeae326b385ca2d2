// The devices page: plain browser JavaScript over the public API only, no build step.
// Cookie mode (docs/browser-apps.md): the refresh token lives in the HttpOnly __Host-ds_refresh
// cookie, out of reach of any script; the access token lives in this closure only. Nothing goes
// to localStorage or sessionStorage. A reload signs back in by refreshing through the cookie.
'use strict';

(() => {
  const ICONS = {
    desktop: '<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4"/>',
    mobile: '<rect x="6" y="2" width="12" height="20" rx="2.5"/><path d="M11 18h2"/>',
    tablet: '<rect x="3.5" y="2" width="17" height="20" rx="2.5"/><path d="M11 18h2"/>',
    smarttv: '<rect x="2" y="6" width="20" height="13" rx="2"/><path d="M8 22h8M8 2l4 4 4-4"/>',
    wearable: '<rect x="6" y="6" width="12" height="12" rx="3"/><path d="M9 6l.7-4h4.6L15 6M9 18l.7 4h4.6l.7-4"/>',
    console:
      '<rect x="2" y="7" width="20" height="11" rx="5"/><path d="M7 11v3M5.5 12.5h3M15.5 11.5h.01M17.5 13.5h.01"/>',
    unknown:
      '<circle cx="12" cy="12" r="9"/><path d="M9.6 9.2a2.5 2.5 0 1 1 3.4 2.3c-.6.3-1 .8-1 1.5v.5M12 16.8h.01"/>',
  };
  const TYPE_LABELS = {
    desktop: 'Computer',
    mobile: 'Phone',
    tablet: 'Tablet',
    smarttv: 'TV',
    wearable: 'Wearable',
    console: 'Game console',
    embedded: 'Device',
    unknown: 'Device',
  };
  const END_REASONS = {
    logout: 'Signed out',
    remote_logout: 'Signed out from another device',
    logout_all: 'Signed out of all devices',
    password_change: 'Ended by a password change',
    password_reset: 'Ended by a password reset',
    refresh_reuse: 'Ended: its refresh token was used twice',
    admin: 'Ended by an administrator',
    expired: 'Expired',
    session_limit: 'Ended: too many sessions',
    client_revoke: 'Ended by another service',
    reported: 'Reported as not you',
    account_deleted: 'Account deleted',
  };

  const $ = (id) => document.getElementById(id);
  const view = {
    loading: $('loading-view'),
    login: $('login-view'),
    devices: $('devices-view'),
    form: $('login-form'),
    email: $('email'),
    password: $('password'),
    list: $('device-list'),
    who: $('who'),
    reload: $('reload'),
    others: $('sign-out-others'),
    history: $('history'),
    historyList: $('history-list'),
    error: $('error'),
    status: $('status'),
    confirm: $('confirm-dialog'),
    confirmText: $('confirm-text'),
    reauth: $('reauth-dialog'),
    reauthForm: $('reauth-form'),
    reauthPassword: $('reauth-password'),
    reauthError: $('reauth-error'),
    reauthCancel: $('reauth-cancel'),
  };

  /** The session ended or cannot be renewed: the only way on is to sign in again. */
  class SignedOut extends Error {}
  /** The person closed a dialog: the action stops, with this message. */
  class Cancelled extends Error {}

  class ApiError extends Error {
    constructor(status, message, code, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  /** The access token and who it is for; in memory only, gone with the page. */
  let auth = null;
  /** The active sessions on screen. */
  let shown = [];

  function messageOf(body, status) {
    const message = body && body.message;
    if (Array.isArray(message)) return message.join('. ');
    if (typeof message === 'string' && message) return message;
    return `The server answered ${status}.`;
  }

  async function request(method, path, { body, token, csrf } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    // Only a refresh that spends the cookie needs it; a cross-site page cannot send it without a preflight.
    if (csrf) headers['X-CSRF-Protection'] = '1';
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch {
      throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
    }
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok)
      throw new ApiError(res.status, messageOf(data, res.status), data && data.code, res.headers.get('Retry-After'));
    return data;
  }

  // Calls that fail together share one refresh: the cookie rotates, so a second refresh with the
  // same cookie would only lean on the server's reuse grace.
  let refreshing = null;
  function refreshTokens() {
    refreshing ??= request('POST', '/v1/auth/refresh', { body: { refreshTokenIn: 'cookie' }, csrf: true })
      .then((pair) => {
        auth = { ...auth, accessToken: pair.accessToken, sessionId: pair.sessionId };
      })
      .catch((e) => {
        throw e.status === 400 || e.status === 401 ? new SignedOut() : e;
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  /**
   * An authenticated call: on 401 (usually an expired access token) refresh once and retry once;
   * on 403 reauth_required (unless `reauth: false`) ask for the password, re-authenticate, and retry.
   */
  async function api(method, path, { body, reauth = true } = {}) {
    if (!auth) throw new SignedOut();
    try {
      return await request(method, path, { body, token: auth.accessToken });
    } catch (e) {
      if (e.status === 403 && e.code === 'reauth_required' && reauth) {
        await reauthenticate();
        return api(method, path, { body, reauth: false });
      }
      if (e.status !== 401) throw e;
    }
    await refreshTokens();
    try {
      return await request(method, path, { body, token: auth.accessToken });
    } catch (e) {
      if (e.status === 403 && e.code === 'reauth_required' && reauth) {
        await reauthenticate();
        return api(method, path, { body, reauth: false });
      }
      throw e.status === 401 ? new SignedOut() : e;
    }
  }

  /** Asks for the password in a dialog until the server takes it, or the person cancels. */
  function reauthenticate() {
    return new Promise((resolve, reject) => {
      const dialog = view.reauth;
      view.reauthError.textContent = '';
      view.reauthPassword.value = '';
      const done = (fn) => {
        view.reauthForm.onsubmit = null;
        view.reauthCancel.onclick = null;
        dialog.oncancel = null;
        view.reauthPassword.value = '';
        dialog.close();
        fn();
      };
      view.reauthForm.onsubmit = async (event) => {
        event.preventDefault();
        const submit = view.reauthForm.querySelector('button[type="submit"]');
        submit.disabled = true;
        view.reauthError.textContent = '';
        try {
          await api('POST', '/v1/auth/reauthenticate', {
            body: { password: view.reauthPassword.value },
            reauth: false,
          });
          done(resolve);
        } catch (e) {
          if (e instanceof SignedOut) done(() => reject(e));
          else if (e.status === 403) view.reauthError.textContent = 'That password is not right. Try again.';
          else if (e.status === 429)
            view.reauthError.textContent = `Too many attempts. Try again ${waitText(Number(e.retryAfter))}.`;
          else view.reauthError.textContent = e.message;
          view.reauthPassword.select();
        } finally {
          submit.disabled = false;
        }
      };
      const cancel = () => done(() => reject(new Cancelled('Nothing was signed out: your password is needed first.')));
      view.reauthCancel.onclick = cancel;
      dialog.oncancel = (event) => {
        event.preventDefault();
        cancel();
      };
      dialog.showModal();
      view.reauthPassword.focus();
    });
  }

  /** Asks to confirm in the dialog; resolves true for "Sign out". */
  function confirmed(text) {
    return new Promise((resolve) => {
      view.confirmText.textContent = text;
      view.confirm.returnValue = '';
      view.confirm.addEventListener('close', () => resolve(view.confirm.returnValue === 'confirm'), { once: true });
      view.confirm.showModal();
    });
  }

  function say(status, error = '') {
    view.status.textContent = status;
    view.error.textContent = error;
  }

  function show(name) {
    view.loading.hidden = name !== 'loading';
    view.login.hidden = name !== 'login';
    view.devices.hidden = name !== 'devices';
    document.body.dataset.view = name;
  }

  function showLogin(error = '') {
    auth = null;
    view.history.open = false;
    view.list.replaceChildren();
    view.historyList.replaceChildren();
    show('login');
    say('', error);
    view.email.focus();
  }

  function showDevices() {
    show('devices');
    view.who.textContent = auth.email || '';
  }

  /** Runs a user action with its button disabled; a dead session sends the person back to the login form. */
  async function act(button, action) {
    if (button) button.disabled = true;
    say('');
    try {
      await action();
    } catch (e) {
      if (e instanceof SignedOut) showLogin('Your session has ended. Please sign in again.');
      else say('', e.message);
    } finally {
      if (button) button.disabled = false;
    }
  }

  const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const UNITS = [
    ['year', 31536e6],
    ['month', 2592e6],
    ['week', 6048e5],
    ['day', 864e5],
    ['hour', 36e5],
    ['minute', 6e4],
  ];

  function ago(iso) {
    // The server writes last activity at most once a minute, and its clock may run a little ahead of ours.
    const ms = Date.now() - Date.parse(iso);
    if (!(ms >= 60e3)) return 'now';
    const [unit, size] = UNITS.find(([, s]) => ms >= s);
    return relative.format(-Math.floor(ms / size), unit);
  }

  const exact = (iso) =>
    new Date(iso).toLocaleString('en', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      timeZoneName: 'short',
    });

  function time(iso, prefix) {
    const node = element('time', 'relative', `${prefix} ${ago(iso)}`);
    node.dateTime = iso;
    node.dataset.prefix = prefix;
    node.title = exact(iso);
    return node;
  }

  function waitText(seconds) {
    if (!(seconds > 0)) return 'later';
    if (seconds < 90) return `in ${seconds} seconds`;
    return `in ${Math.ceil(seconds / 60)} minutes`;
  }

  const regions = new Intl.DisplayNames('en', { type: 'region' });
  const countryName = (code) => {
    try {
      return regions.of(code) || code;
    } catch {
      return code;
    }
  };

  function locationText(location) {
    const parts = location
      ? [location.city, location.region, location.country && countryName(location.country)].filter(Boolean)
      : [];
    return parts.length ? parts.join(', ') : '';
  }

  /** Where the session was last seen (its sign-in's place until it moves): address and location. */
  const lastIp = (session) => session.lastIpAddress || session.ipAddress;

  /** "Amsterdam, North Holland, Netherlands · 77.160.12.10", or whichever of the two is known. */
  function whereText(session) {
    const parts = [locationText(session.lastLocation || session.location), lastIp(session)].filter(Boolean);
    return parts.length ? parts.join(' · ') : 'Location unknown';
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const typeOf = (session) =>
    session.device && Object.hasOwn(TYPE_LABELS, session.device.type) ? session.device.type : 'unknown';

  function icon(type) {
    const node = element('span', 'device-icon');
    node.setAttribute('aria-hidden', 'true');
    // Only our own constant markup goes through innerHTML; everything from the API is set as text.
    node.innerHTML = `<svg viewBox="0 0 24 24">${ICONS[type] || ICONS.unknown}</svg>`;
    node.dataset.type = type;
    return node;
  }

  /** "Computer · macOS 10.15.7 · Chrome 131" from what the server parsed out of the User-Agent. */
  function deviceDetails(session) {
    const nameVersion = (nv) =>
      (nv && nv.name ? [nv.name, nv.version && nv.version.split('.')[0]] : []).filter(Boolean).join(' ');
    const os = session.os && session.os.name ? [session.os.name, session.os.version].filter(Boolean).join(' ') : '';
    return [TYPE_LABELS[typeOf(session)], os, nameVersion(session.browser)].filter(Boolean).join(' · ');
  }

  /**
   * One device, with its sessions inside: sessions with the same name and kind of device (the
   * server derives the name from browser and OS) are the same device as far as a person can tell.
   */
  function groupByDevice(sessions) {
    const groups = new Map();
    for (const s of sessions) {
      const key = `${typeOf(s)}\u0000${s.deviceName || ''}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(s);
    }
    return [...groups.values()];
  }

  function sessionItem(session, name) {
    const item = element('li', 'session');
    item.dataset.sessionId = session.id;
    const body = element('div', 'session-body');
    const where = element('p', 'session-where', whereText(session));
    const when = element('p', 'session-when');
    when.append(
      session.current ? element('span', 'active-here', 'Active now, here') : time(session.lastActiveAt, 'Active'),
      ' · ',
      time(session.createdAt, 'Signed in'),
    );
    body.append(where, when);
    const button = element('button', 'button button-ghost button-small sign-out', 'Sign out');
    button.type = 'button';
    // Two devices can share a name (two iPhones are both "Mobile Safari on iPhone"), so the IP tells the buttons apart.
    const ip = lastIp(session) || 'unknown IP';
    button.setAttribute(
      'aria-label',
      session.current ? `Sign out of this device (${name}, ${ip})` : `Sign out ${name}, ${ip}`,
    );
    button.addEventListener('click', () => act(button, () => signOut(session, name)));
    item.append(body, button);
    return item;
  }

  function deviceItem(sessions) {
    const first = sessions[0];
    const name = first.deviceName || 'Unknown device';
    const here = sessions.some((s) => s.current);
    const item = element('li', here ? 'device device-here' : 'device');
    const head = element('div', 'device-head');
    const title = element('h2', 'device-name', name);
    if (here) title.append(element('span', 'badge', 'This device'));
    const details = element('p', 'device-details', deviceDetails(first));
    if (sessions.length > 1) details.append(` · ${sessions.length} sessions`);
    const text = element('div', 'device-text');
    text.append(title, details);
    head.append(icon(typeOf(first)), text);
    const list = element('ul', 'session-list');
    list.setAttribute('aria-label', `Sessions on ${name}`);
    list.append(...sessions.map((s) => sessionItem(s, name)));
    item.append(head, list);
    return item;
  }

  function historyItem(session) {
    const name = session.deviceName || 'Unknown device';
    const item = element('li', 'device device-ended');
    item.dataset.sessionId = session.id;
    const head = element('div', 'device-head');
    const text = element('div', 'device-text');
    const title = element('h3', 'device-name', name);
    const reason = element('p', 'device-details', END_REASONS[session.endReason] || 'Ended');
    const when = element('p', 'session-when');
    when.append(time(session.endedAt || session.lastActiveAt, 'Ended'), ' · ', element('span', '', whereText(session)));
    text.append(title, reason, when);
    head.append(icon(typeOf(session)), text);
    item.append(head);
    return item;
  }

  async function loadDevices() {
    view.list.setAttribute('aria-busy', 'true');
    try {
      const sessions = await api('GET', '/v1/sessions');
      // This device first, then the API's order (most recent activity first), inside and across devices.
      sessions.sort((a, b) => Number(b.current) - Number(a.current));
      shown = sessions;
      const groups = groupByDevice(sessions);
      view.list.replaceChildren(...groups.map(deviceItem));
      if (sessions.length === 0) view.list.append(element('li', 'empty', 'No active devices.'));
      view.others.hidden = !sessions.some((s) => !s.current);
      if (view.history.open) await loadHistory();
    } finally {
      view.list.setAttribute('aria-busy', 'false');
    }
  }

  async function loadHistory() {
    view.historyList.setAttribute('aria-busy', 'true');
    try {
      const all = await api('GET', '/v1/sessions?status=all');
      const ended = all.filter((s) => s.status !== 'active');
      ended.sort((a, b) => Date.parse(b.endedAt || b.lastActiveAt) - Date.parse(a.endedAt || a.lastActiveAt));
      view.historyList.replaceChildren(...ended.map(historyItem));
      if (ended.length === 0) view.historyList.append(element('li', 'empty', 'No signed-out sessions yet.'));
    } finally {
      view.historyList.setAttribute('aria-busy', 'false');
    }
  }

  async function signOut(session, name) {
    await api('DELETE', `/v1/sessions/${encodeURIComponent(session.id)}`);
    if (session.current) {
      showLogin();
      say('You signed out of this device.');
      return;
    }
    await loadDevices();
    // The button is gone with its row: focus moves to the heading rather than to the page's start.
    $('devices-title').focus();
    say(`Signed out ${name}.`);
  }

  async function signOutOthers() {
    const others = shown.filter((s) => !s.current).length;
    const text =
      others === 1
        ? 'The other session will end at once and need to sign in again. This device stays signed in.'
        : `The ${others} other sessions will end at once and need to sign in again. This device stays signed in.`;
    if (!(await confirmed(text))) {
      say('Nothing was signed out.');
      return;
    }
    const { revoked } = await api('DELETE', '/v1/sessions?scope=others');
    await loadDevices();
    $('devices-title').focus();
    say(revoked === 1 ? 'Signed out 1 other session.' : `Signed out ${revoked} other sessions.`);
  }

  async function whoAmI() {
    const me = await api('GET', '/v1/auth/me');
    auth = { ...auth, email: me.user.email };
  }

  async function logIn(event) {
    event.preventDefault();
    const button = view.form.querySelector('button[type="submit"]');
    const email = view.email.value.trim();
    await act(button, async () => {
      try {
        const pair = await request('POST', '/v1/auth/login', {
          body: { email, password: view.password.value, refreshTokenIn: 'cookie' },
        });
        auth = { email, accessToken: pair.accessToken, sessionId: pair.sessionId };
      } catch (e) {
        if (e.status === 401) throw new Error('Wrong email or password.', { cause: e });
        if (e.status === 429)
          throw new Error(`Too many attempts. Try again ${waitText(Number(e.retryAfter))}.`, { cause: e });
        throw e;
      }
      view.password.value = '';
      showDevices();
      $('devices-title').focus();
      await loadDevices();
      say('Signed in.');
    });
  }

  /** On load: the refresh cookie, if the browser holds one, signs this page back in. */
  async function resume() {
    try {
      await refreshTokens();
      await whoAmI();
    } catch (e) {
      if (e instanceof SignedOut) return showLogin();
      show('login');
      return say('', e.message);
    }
    showDevices();
    await act(null, loadDevices);
  }

  view.form.addEventListener('submit', logIn);
  view.reload.addEventListener('click', () =>
    act(view.reload, async () => {
      await loadDevices();
      say('Device list updated.');
    }),
  );
  view.others.addEventListener('click', () => act(view.others, signOutOthers));
  view.history.addEventListener('toggle', () => {
    if (view.history.open && auth) act(null, loadHistory);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && auth && !view.devices.hidden) act(null, loadDevices);
  });
  // Keep "Active 5 minutes ago" honest without asking the server.
  setInterval(() => {
    for (const node of document.querySelectorAll('time.relative'))
      node.textContent = `${node.dataset.prefix} ${ago(node.dateTime)}`;
  }, 30e3);

  // The page before cookie mode kept both tokens here; a tab that still holds them drops them.
  sessionStorage.removeItem('device-sessions.auth');
  void resume();
})();
