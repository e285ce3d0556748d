import { useState } from "react";
import type { Credentials, Page, Payment, Stats } from "../api";
import { CopyButton } from "../components/CopyButton";
import { PaymentsTable } from "../components/PaymentsTable";
import { Empty, ErrorState, InlineError, Loading } from "../components/States";
import { useDashboard } from "../context";
import { pollWhile, useResource } from "../hooks";
import { formatPaise } from "../money";
import { Link, navigate } from "../router";

export function HomePage() {
  return (
    <>
      <header className="page-head">
        <h1>Home</h1>
      </header>
      <StatsPanel />
      <CredentialsPanel />
      <RecentPayments />
    </>
  );
}

function StatsPanel() {
  const { api } = useDashboard();
  const stats = useResource(() => api.get<Stats>("/api/v1/merchant/stats"), [api], () => 10_000);
  return (
    <section className="card" aria-labelledby="stats-title">
      <h2 id="stats-title">Overview</h2>
      {stats.data ? (
        <div className="stats" data-test-id="stats-container">
          <Stat label="Total transactions" testId="total-transactions" value={stats.data.total_transactions.toLocaleString()} />
          <Stat label="Total amount (successful)" testId="total-amount" value={formatPaise(stats.data.total_amount)} />
          <Stat label="Success rate (finished payments)" testId="success-rate" value={`${stats.data.success_rate.toFixed(1)}%`} />
        </div>
      ) : stats.error ? (
        <ErrorState error={stats.error} onRetry={stats.reload} />
      ) : (
        <Loading />
      )}
    </section>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-test-id={testId}>
        {value}
      </div>
    </div>
  );
}

const MASK = "•".repeat(24);

function CredentialsPanel() {
  const { api, session } = useDashboard();
  // The secret is fetched on demand and held only in this component's state while shown.
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const fetchSecret = async () => (await api.get<Credentials>("/api/v1/merchant/credentials")).api_secret;
  const toggle = async () => {
    setError(null);
    if (secret !== null) {
      setSecret(null);
      return;
    }
    try {
      setSecret(await fetchSecret());
    } catch (caught) {
      setError(caught as Error);
    }
  };
  return (
    <section className="card" data-test-id="api-credentials" aria-labelledby="credentials-title">
      <h2 id="credentials-title">API credentials</h2>
      <p className="muted">
        Your server sends both as <code>X-Api-Key</code> and <code>X-Api-Secret</code>. The key alone goes to the checkout SDK. Never
        put the secret in a browser or an app.
      </p>
      <dl className="credentials">
        <dt>API key</dt>
        <dd>
          <code data-test-id="api-key">{session.merchant.api_key}</code>
          <CopyButton text={session.merchant.api_key} testId="copy-api-key" />
        </dd>
        <dt>API secret</dt>
        <dd>
          <code data-test-id="api-secret" data-revealed={secret !== null}>
            {secret ?? MASK}
          </code>
          <button type="button" className="button button-small" onClick={() => void toggle()} data-test-id="reveal-secret-button">
            {secret !== null ? "Hide" : "Reveal"}
          </button>
          <CopyButton text={secret ?? fetchSecret} testId="copy-api-secret" />
        </dd>
      </dl>
      <InlineError error={error} />
    </section>
  );
}

function RecentPayments() {
  const { api } = useDashboard();
  const recent = useResource(
    () => api.get<Page<Payment>>("/api/v1/payments", { limit: 5 }),
    [api],
    (page) => pollWhile(page.data.some((p) => p.status === "pending" || p.status === "processing")),
  );
  return (
    <section className="card" aria-labelledby="recent-title">
      <div className="card-head">
        <h2 id="recent-title">Latest payments</h2>
        <Link to="/dashboard/transactions">All transactions →</Link>
      </div>
      {recent.data ? (
        recent.data.data.length ? (
          <PaymentsTable payments={recent.data.data} onOpen={(id) => navigate(`/dashboard/transactions?payment=${id}`)} testId="recent-payments" />
        ) : (
          <Empty title="No payments yet">Create an order and pay it through the checkout; see Docs.</Empty>
        )
      ) : recent.error ? (
        <ErrorState error={recent.error} onRetry={recent.reload} />
      ) : (
        <Loading />
      )}
    </section>
  );
}
