// The first run: the link the server printed at start carries a one-time token; this form creates the first org
// and its admin with it and signs the person in.
import { useState } from 'preact/hooks';
import { setUp } from '../api.ts';

export function SetupPage() {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const password = String(form.get('password'));
    if (password !== String(form.get('repeat'))) {
      setError('the two passwords differ');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await setUp({ token, org: String(form.get('org')), email: String(form.get('email')), password });
      location.assign('/console/keys');
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>Set up Runplane</h1>
      {token ? (
        <>
          <p>Create your organisation and its first admin. This link works once.</p>
          <form onSubmit={submit}>
            <label>
              Organisation (slug)
              <input name="org" required pattern="[a-z0-9][a-z0-9\-]{0,62}" placeholder="acme" autofocus />
            </label>
            <label>
              Admin email
              <input name="email" type="email" autocomplete="username" required />
            </label>
            <label>
              Password (at least 10 characters)
              <input name="password" type="password" autocomplete="new-password" minLength={10} required />
            </label>
            <label>
              Repeat the password
              <input name="repeat" type="password" autocomplete="new-password" minLength={10} required />
            </label>
            {error && (
              <p class="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" disabled={busy}>
              Create organisation
            </button>
          </form>
        </>
      ) : (
        <p class="error">
          This page needs the setup link the server printed when it started on an empty store. Already set up?{' '}
          <a href="/console/login">Log in</a>.
        </p>
      )}
    </main>
  );
}
