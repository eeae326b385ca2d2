// The devices page: plain browser JavaScript over the public API only, no build step.
// Tokens live in sessionStorage so they die with the tab and are never sent as cookies.
'use strict';

(() => {
  const STORAGE_KEY = 'device-sessions.auth';

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

  const $ = (id) => document.getElementById(id);
  const view = {
    login: $('login-view'),
    devices: $('devices-view'),
    form: $('login-form'),
    email: $('email'),
    password: $('password'),
    list: $('device-list'),
    who: $('who'),
    reload: $('reload'),
    others: $('sign-out-others'),
    error: $('error'),
    status: $('status'),
  };

  /** The session ended or cannot be renewed: the only way on is to sign in again. */
  class SignedOut extends Error {}

  class ApiError extends Error {
    constructor(status, message, retryAfter) {
      super(message);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  const auth = {
    get() {
      try {
        return JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
      } catch {
        return null;
      }
    },
    set(value) {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
    },
    clear() {
      sessionStorage.removeItem(STORAGE_KEY);
    },
  };

  function messageOf(body, status) {
    const message = body && body.message;
    if (Array.isArray(message)) return message.join('. ');
    if (typeof message === 'string' && message) return message;
    return `The server answered ${status}.`;
  }

  async function request(method, path, { body, token } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
    }
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, messageOf(data, res.status), res.headers.get('Retry-After'));
    return data;
  }

  // Calls that fail together share one refresh: the refresh token rotates, so a second
  // refresh with the same token would only lean on the server's reuse grace.
  let refreshing = null;
  function refreshTokens() {
    const current = auth.get();
    if (!current) return Promise.reject(new SignedOut());
    refreshing ??= request('POST', '/v1/auth/refresh', { body: { refreshToken: current.refreshToken } })
      .then((pair) => auth.set({ ...current, accessToken: pair.accessToken, refreshToken: pair.refreshToken }))
      .catch((e) => {
        throw e.status === 400 || e.status === 401 ? new SignedOut() : e;
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  /** An authenticated call: on 401 (usually an expired access token) refresh once and retry once. */
  async function api(method, path) {
    const current = auth.get();
    if (!current) throw new SignedOut();
    try {
      return await request(method, path, { token: current.accessToken });
    } catch (e) {
      if (e.status !== 401) throw e;
    }
    await refreshTokens();
    try {
      return await request(method, path, { token: auth.get().accessToken });
    } catch (e) {
      throw e.status === 401 ? new SignedOut() : e;
    }
  }

  function say(status, error = '') {
    view.status.textContent = status;
    view.error.textContent = error;
  }

  function showLogin(error = '') {
    auth.clear();
    view.devices.hidden = true;
    view.login.hidden = false;
    document.body.dataset.view = 'login';
    say('', error);
    view.email.focus();
  }

  function showDevices() {
    view.login.hidden = true;
    view.devices.hidden = false;
    document.body.dataset.view = 'devices';
    view.who.textContent = auth.get().email;
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

  function lastActive(iso) {
    // The server writes last activity at most once a minute, and its clock may run a little ahead of ours.
    const ago = Date.now() - Date.parse(iso);
    if (!(ago >= 60e3)) return 'Active now';
    const [unit, ms] = UNITS.find(([, size]) => ago >= size);
    return `Active ${relative.format(-Math.floor(ago / ms), unit)}`;
  }

  function waitText(seconds) {
    if (!(seconds > 0)) return 'later';
    if (seconds < 90) return `in ${seconds} seconds`;
    return `in ${Math.ceil(seconds / 60)} minutes`;
  }

  function locationText(location) {
    const parts = location ? [location.city, location.region, location.country].filter(Boolean) : [];
    return parts.length ? parts.join(', ') : 'Unknown location';
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function deviceItem(session) {
    const item = element('li', 'device');
    item.dataset.sessionId = session.id;

    const icon = element('span', 'device-icon');
    icon.setAttribute('aria-hidden', 'true');
    const type = session.device && Object.hasOwn(ICONS, session.device.type) ? session.device.type : 'unknown';
    // Only our own constant markup goes through innerHTML; everything from the API is set as text.
    icon.innerHTML = `<svg viewBox="0 0 24 24">${ICONS[type]}</svg>`;
    icon.title = type;

    const name = session.deviceName || 'Unknown device';
    const body = element('div', 'device-body');
    const title = element('p', 'device-name', name);
    if (session.current) title.append(element('span', 'badge', 'This device'));
    const where = element(
      'p',
      'device-meta',
      `${locationText(session.location)} · ${session.ipAddress || 'unknown IP'}`,
    );
    const when = element('p', 'device-meta');
    const time = element('time', 'last-active', lastActive(session.lastActiveAt));
    time.dateTime = session.lastActiveAt;
    time.title = new Date(session.lastActiveAt).toLocaleString();
    const signedIn = new Date(session.createdAt);
    const sameYear = signedIn.getFullYear() === new Date().getFullYear();
    const since = signedIn.toLocaleDateString('en', {
      day: 'numeric',
      month: 'short',
      year: sameYear ? undefined : 'numeric',
    });
    when.append(time, ' · ', element('span', 'since', `Signed in ${since}`));
    body.append(title, where, when);

    const button = element('button', 'button button-ghost button-small sign-out', 'Sign out');
    button.type = 'button';
    // Two devices can share a name (two iPhones are both "Mobile Safari on iPhone"), so the IP tells the buttons apart.
    const ip = session.ipAddress || 'unknown IP';
    button.setAttribute(
      'aria-label',
      session.current ? `Sign out of this device (${name}, ${ip})` : `Sign out ${name}, ${ip}`,
    );
    button.addEventListener('click', () => act(button, () => signOut(session, name)));

    item.append(icon, body, button);
    return item;
  }

  async function loadDevices() {
    view.list.setAttribute('aria-busy', 'true');
    try {
      const sessions = await api('GET', '/v1/sessions');
      // This device first, then the API's order (most recent activity first).
      sessions.sort((a, b) => Number(b.current) - Number(a.current));
      view.list.replaceChildren(...sessions.map(deviceItem));
      if (sessions.length === 0) view.list.append(element('li', 'empty', 'No active devices.'));
      view.others.hidden = !sessions.some((s) => !s.current);
    } finally {
      view.list.setAttribute('aria-busy', 'false');
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
    say(`Signed out ${name}.`);
  }

  async function signOutOthers() {
    const { revoked } = await api('DELETE', '/v1/sessions?scope=others');
    await loadDevices();
    say(revoked === 1 ? 'Signed out of 1 other device.' : `Signed out of ${revoked} other devices.`);
  }

  async function logIn(event) {
    event.preventDefault();
    const button = view.form.querySelector('button[type="submit"]');
    const email = view.email.value.trim();
    await act(button, async () => {
      try {
        const pair = await request('POST', '/v1/auth/login', { body: { email, password: view.password.value } });
        auth.set({ email, accessToken: pair.accessToken, refreshToken: pair.refreshToken, sessionId: pair.sessionId });
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
    });
  }

  view.form.addEventListener('submit', logIn);
  view.reload.addEventListener('click', () => act(view.reload, loadDevices));
  view.others.addEventListener('click', () => act(view.others, signOutOthers));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !view.devices.hidden) act(null, loadDevices);
  });
  // Keep "Active 5 minutes ago" honest without asking the server.
  setInterval(() => {
    for (const time of view.list.querySelectorAll('time.last-active')) time.textContent = lastActive(time.dateTime);
  }, 30e3);

  if (auth.get()) {
    showDevices();
    act(null, loadDevices);
  } else {
    showLogin();
  }
})();
