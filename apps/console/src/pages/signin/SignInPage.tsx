import { useId, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { refusalMessage } from '../../auth';

interface SignInPageProps {
  onSignedIn: (key: string) => void;
  /** Set when the API refused the key of the session that just ended. */
  lostStatus: number | null;
}

export function SignInPage({ onSignedIn, lostStatus }: SignInPageProps) {
  const id = useId();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(lostStatus ? refusalMessage(lostStatus) : null);
  const [pending, setPending] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setError('Paste an operator key');
      return;
    }
    setPending(true);
    setError(null);
    try {
      // The overview doubles as the key check: nothing of the fleet is kept from it.
      await api.checkKey(candidate);
      onSignedIn(candidate);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError(
        status === 401 || status === 403
          ? refusalMessage(status)
          : `Could not check the key: ${(err as Error).message}`,
      );
      setPending(false);
    }
  };

  return (
    <main className="signin-wrap" id="content">
      <form className="signin card" onSubmit={submit} data-testid="signin" noValidate>
        <h1>
          DBaaS <span className="brand-sub">operator console</span>
        </h1>
        <p className="muted">Sign in with an operator key. It is kept in this tab only (session storage).</p>
        {lostStatus !== null && (
          <p className="note note-warn" role="status">
            Your session ended: the API refused the key.
          </p>
        )}
        <div className="field">
          <label htmlFor={`${id}-key`}>Operator key</label>
          <input
            id={`${id}-key`}
            type="password"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            autoComplete="current-password"
            autoFocus
            spellCheck={false}
            required
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            data-testid="signin-key"
          />
        </div>
        {error && (
          <p id={`${id}-error`} className="note note-bad" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
