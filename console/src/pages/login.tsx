import { useState } from 'preact/hooks';
import { logIn } from '../api.ts';

export function LoginPage() {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  // Asked only when the email and password open several orgs.
  const [askOrg, setAskOrg] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    setBusy(true);
    setError('');
    try {
      await logIn(String(form.get('email')), String(form.get('password')), String(form.get('org') ?? '') || undefined);
      const next = new URLSearchParams(location.search).get('next');
      location.assign(next?.startsWith('/console/') ? next : '/console/runners');
    } catch (failure) {
      setError((failure as Error).message);
      if ((failure as Error).message.includes('choose the org')) setAskOrg(true);
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>Runplane</h1>
      <form onSubmit={submit}>
        <label>
          Email
          <input name="email" type="email" autocomplete="username" required autofocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {askOrg && (
          <label>
            Organisation
            <input name="org" required pattern="[a-z0-9][a-z0-9\-]{0,62}" />
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
