// The pages the mailed links open: /account/verify, /account/reset and /account/not-me. Plain
// browser JavaScript over the public API, no build step. The token travels in the link's
// fragment (#token=…), which browsers never send to a server: it reaches no access log and no
// Referer. It is read once and wiped from the address bar and the history at once.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const page = document.body.dataset.page;
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  // A link opened in a tab already showing this page only changes the fragment: start over with its token.
  window.addEventListener('hashchange', () => window.location.reload());

  const MESSAGES = {
    link_invalid:
      'This link no longer works: it was used already, it has expired, or the password was changed since. ' +
      'Ask for a new one.',
    missing: 'This page needs the link from your mail. Open the link in the mail again, or ask for a new one.',
    network: 'Cannot reach the server. Check your connection and try again.',
  };

  function say(status, error = '') {
    $('status').textContent = status;
    $('error').textContent = error;
  }

  function state(name) {
    document.body.dataset.state = name;
  }

  function waitText(seconds) {
    if (!(seconds > 0)) return 'later';
    if (seconds < 90) return `in ${seconds} seconds`;
    return `in ${Math.ceil(seconds / 60)} minutes`;
  }

  /** POSTs JSON; resolves on success, else throws an Error whose message a person can act on. */
  async function post(path, body) {
    let res;
    try {
      res = await fetch(path, {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      throw new Error(MESSAGES.network);
    }
    if (res.ok) return;
    const data = await res.json().catch(() => null);
    const code = data && data.code;
    if (code === 'link_invalid') throw Object.assign(new Error(MESSAGES.link_invalid), { code });
    if (res.status === 429)
      throw new Error(`Too many attempts. Try again ${waitText(Number(res.headers.get('Retry-After')))}.`);
    const message = data && data.message;
    if (Array.isArray(message)) throw Object.assign(new Error(message.join('. ')), { code });
    if (typeof message === 'string' && message) throw Object.assign(new Error(message), { code });
    throw new Error(`The server answered ${res.status}.`);
  }

  function show(id) {
    for (const section of document.querySelectorAll('section.card')) section.hidden = section.id !== id;
    const heading = document.querySelector(`#${id} h1`);
    if (heading) heading.focus();
  }

  /** Runs a user action with its button disabled; failures are announced in the alert region. */
  async function act(button, action) {
    button.disabled = true;
    say('');
    try {
      await action();
    } catch (e) {
      state('failed');
      say('', e.message);
      return e;
    } finally {
      button.disabled = false;
    }
    return null;
  }

  async function verify() {
    if (!token) {
      state('failed');
      $('working').hidden = true;
      say('', MESSAGES.missing);
      return;
    }
    try {
      await post('/v1/auth/verify-email', { token });
    } catch (e) {
      $('working').hidden = true;
      state('failed');
      say('', e.message);
      return;
    }
    $('working').hidden = true;
    $('done').hidden = false;
    state('done');
    say('Email address confirmed.');
    $('title').focus();
  }

  function notMe() {
    const button = $('report');
    if (!token) {
      $('ready').hidden = true;
      state('failed');
      say('', MESSAGES.missing);
      return;
    }
    button.addEventListener('click', () =>
      act(button, async () => {
        await post('/v1/auth/not-me', { token });
        $('ready').hidden = true;
        $('done').hidden = false;
        state('done');
        say('That device is signed out. A link to choose a new password is on its way.');
        $('title').focus();
      }),
    );
  }

  function reset() {
    const form = $('reset-form');
    const password = $('new-password');
    const confirm = $('confirm-password');
    const forgot = $('forgot-form');

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button[type="submit"]');
      if (password.value !== confirm.value) {
        state('failed');
        say('', 'The two passwords do not match.');
        confirm.focus();
        return;
      }
      const failure = await act(button, async () => {
        await post('/v1/auth/password/reset', { token, newPassword: password.value });
        password.value = '';
        confirm.value = '';
        state('done');
        show('done-view');
        say('Your password is changed.');
      });
      if (failure && failure.code === 'link_invalid') show('forgot-view');
    });

    forgot.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = forgot.querySelector('button[type="submit"]');
      await act(button, async () => {
        await post('/v1/auth/password/forgot', { email: $('email').value.trim() });
        state('sent');
        say('If an account has this email, a link to choose a new password is on its way. It works for a short time.');
      });
    });

    show(token ? 'reset-view' : 'forgot-view');
  }

  if (page === 'verify') verify();
  else if (page === 'not-me') notMe();
  else if (page === 'reset') reset();
})();
