import type { Session } from '@fstore/client';
import { useState } from 'preact/hooks';
import { api, describeError, setSession } from '../api';

/** An API key, sent once: the control plane answers with an HttpOnly session cookie. */
export function SignInPage({
  notice,
  onSignedIn,
}: {
  notice?: string;
  onSignedIn: (s: Session) => void;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem('api_key') as HTMLInputElement;
    setBusy(true);
    setError(undefined);
    try {
      const session = await api.signIn(input.value.trim());
      input.value = '';
      setSession(session);
      onSignedIn(session);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to the fstore console</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="api_key">Control-plane API key</label>
        <input
          id="api_key"
          name="api_key"
          type="password"
          autocomplete="off"
          required
          aria-describedby="api_key_help"
          aria-invalid={error ? 'true' : undefined}
        />
        <p id="api_key_help" class="help">
          An admin prints one with <code>fstore apikeys create --name NAME --role viewer</code>. The
          key is sent once; the browser keeps only a session cookie that page scripts cannot read.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
