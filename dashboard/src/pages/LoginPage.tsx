import { useState, type FormEvent } from "react";
import type { ApiClient, Session } from "../api";
import { InlineError } from "../components/States";

export function LoginPage({ api, onSignedIn, notice }: { api: ApiClient; onSignedIn: (session: Session) => void; notice: string | null }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.post<Session>("/api/v1/auth/login", { email: email.trim(), password }));
    } catch (caught) {
      setError(caught as Error);
      setBusy(false);
    }
  };

  return (
    <main className="centered">
      <form className="card login" onSubmit={(e) => void submit(e)} data-test-id="login-form" aria-label="Sign in">
        <h1>
          <span className="brand-mark" aria-hidden="true">◆</span> Gateway dashboard
        </h1>
        {notice ? <p className="notice" data-test-id="login-notice">{notice}</p> : null}
        <label>
          Email
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            data-test-id="email-input"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-test-id="password-input"
          />
        </label>
        <InlineError error={error} />
        <button type="submit" className="button button-primary" disabled={busy} data-test-id="login-button">
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
