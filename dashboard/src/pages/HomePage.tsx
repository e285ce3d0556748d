import { useMemo, useState } from "react";
import type { Credentials, NewApiSecret, Page, Payment, Stats } from "../api";
import { lastUtcDays, TREND_DAYS } from "../charts";
import { CopyButton } from "../components/CopyButton";
import { PaymentsTable } from "../components/PaymentsTable";
import { Empty, ErrorState, InlineError, Loading } from "../components/States";
import { SuccessRateChart, VolumeChart } from "../components/TrendCharts";
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
  // The window is fixed while the page is open: the last 30 UTC days, today included.
  const range = useMemo(() => lastUtcDays(new Date()), []);
  const stats = useResource(() => api.get<Stats>("/api/v1/merchant/stats", { ...range, interval: "day" }), [api, range], () => 10_000);
  const days = stats.data?.series?.days;
  return (
    <>
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
      {days ? (
        <div className="trends">
          <section className="card" aria-labelledby="volume-title" data-test-id="volume-card">
            <h2 id="volume-title">Daily volume, last {TREND_DAYS} days</h2>
            <VolumeChart days={days} />
          </section>
          <section className="card" aria-labelledby="rate-title" data-test-id="rate-card">
            <h2 id="rate-title">Success rate by method, last {TREND_DAYS} days</h2>
            <SuccessRateChart days={days} />
          </section>
        </div>
      ) : null}
    </>
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

function CredentialsPanel() {
  const { api, session } = useDashboard();
  const credentials = useResource(() => api.get<Credentials>("/api/v1/merchant/credentials"), [api]);
  // A rolled secret is shown once, held only in this component's state; the server keeps its hash.
  const [rolled, setRolled] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const roll = async () => {
    setBusy(true);
    setError(null);
    try {
      setRolled((await api.post<NewApiSecret>("/api/v1/merchant/credentials/rotate")).api_secret);
      setConfirming(false);
      credentials.reload();
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };
  const hint = credentials.data ? `secret_${"•".repeat(20)}${credentials.data.api_secret_hint}` : "…";
  return (
    <section className="card" data-test-id="api-credentials" aria-labelledby="credentials-title">
      <h2 id="credentials-title">API credentials</h2>
      <p className="muted">
        Your server sends both as <code>X-Api-Key</code> and <code>X-Api-Secret</code>. The key alone goes to the checkout SDK. Never
        put the secret in a browser or an app. The secret is stored only as a hash: it is shown once, when it is created or rolled.
      </p>
      <dl className="credentials">
        <dt>API key</dt>
        <dd>
          <code data-test-id="api-key">{session.merchant.api_key}</code>
          <CopyButton text={session.merchant.api_key} testId="copy-api-key" />
        </dd>
        <dt>API secret</dt>
        <dd>
          <code data-test-id="api-secret" data-new={rolled !== null}>
            {rolled ?? hint}
          </code>
          {rolled !== null ? <CopyButton text={rolled} testId="copy-api-secret" /> : null}
          {confirming ? (
            <span className="confirm" role="group" aria-label="Confirm rolling the secret">
              The current secret stops working at once.
              <button type="button" className="button button-small button-danger" disabled={busy} onClick={() => void roll()} data-test-id="confirm-roll-secret-button">
                Roll now
              </button>
              <button type="button" className="button button-small" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" className="button button-small" onClick={() => setConfirming(true)} data-test-id="roll-secret-button">
              Roll secret
            </button>
          )}
        </dd>
      </dl>
      {rolled !== null ? (
        <p className="notice" data-test-id="new-secret-notice" role="status">
          Copy the new secret now and put it in your server&apos;s configuration: it will not be shown again.
        </p>
      ) : null}
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
