import { ApiError, type Session } from '@fstore/client';
import { useState } from 'preact/hooks';
import { api, describeError, setSession } from '../api';
import { describeSignInRefusal } from '../sign-in-error';

type Method = 'api_key' | 'password';
const ERROR_ID = 'sign_in_error';

/**
 * An API key, or a serving user's e-mail and password, sent once: the control plane answers with
 * an HttpOnly session cookie. The choice is a pair of radio buttons (arrow keys move between
 * them); a refusal is announced and marks the field the API names.
 */
export function SignInPage({
  notice,
  onSignedIn,
}: {
  notice?: string;
  onSignedIn: (s: Session) => void;
}) {
  const [method, setMethod] = useState<Method>('api_key');
  const [error, setError] = useState<{ text: string; fields: string[] }>();
  const [busy, setBusy] = useState(false);

  const choose = (next: Method) => {
    setMethod(next);
    setError(undefined);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
    setBusy(true);
    setError(undefined);
    try {
      const session =
        method === 'api_key'
          ? await api.signIn(field('api_key').value.trim())
          : await api.signInWithPassword(field('email').value.trim(), field('password').value);
      for (const name of ['api_key', 'password']) {
        const input = field(name);
        if (input) input.value = '';
      }
      setSession(session);
      onSignedIn(session);
    } catch (e) {
      const refusal =
        e instanceof ApiError ? describeSignInRefusal(e) : { text: describeError(e), fields: [] };
      if (method === 'password') field('password').value = '';
      setError(refusal);
      // The field the API names takes the focus (the alert is announced as well).
      const named = refusal.fields.map(field).find(Boolean);
      named?.focus();
    } finally {
      setBusy(false);
    }
  };

  /** The refused field: marked invalid, and described by the error as well as its help. */
  const invalid = (name: string, help?: string) => {
    const refused = error?.fields.includes(name);
    const describedBy = [help, refused ? ERROR_ID : undefined].filter(Boolean).join(' ');
    return {
      'aria-invalid': refused ? ('true' as const) : undefined,
      'aria-describedby': describedBy || undefined,
    };
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
        <fieldset class="choice">
          <legend>Sign in with</legend>
          <label>
            <input
              type="radio"
              name="method"
              value="api_key"
              checked={method === 'api_key'}
              onChange={() => choose('api_key')}
            />
            API key
          </label>
          <label>
            <input
              type="radio"
              name="method"
              value="password"
              checked={method === 'password'}
              onChange={() => choose('password')}
            />
            E-mail and password
          </label>
        </fieldset>
        {method === 'api_key' ? (
          <>
            <label for="api_key">Control-plane API key</label>
            <input
              id="api_key"
              name="api_key"
              type="password"
              autocomplete="off"
              required
              {...invalid('api_key', 'api_key_help')}
            />
            <p id="api_key_help" class="help">
              An admin prints one with <code>fstore apikeys create --name NAME --role viewer</code>.
              The key is sent once; the browser keeps only a session cookie that page scripts cannot
              read.
            </p>
          </>
        ) : (
          <>
            <label for="email">E-mail</label>
            <input
              id="email"
              name="email"
              type="email"
              autocomplete="username"
              required
              {...invalid('email')}
            />
            <label for="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autocomplete="current-password"
              required
              {...invalid('password', 'password_help')}
            />
            <p id="password_help" class="help">
              A user of the feature server (<code>fstore users add EMAIL --role viewer</code>); the
              console role is the user&apos;s role (a <code>reader</code> may only read features and
              cannot sign in here). The password is sent once, never kept in the browser.
            </p>
          </>
        )}
        {error && (
          <p id={ERROR_ID} class="error" role="alert">
            {error.text}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
