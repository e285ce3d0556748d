import { useEffect, useState, type FormEvent } from "react";
import type { Page, RetryReply, WebhookConfig, WebhookEndpoint, WebhookLog } from "../api";
import { CopyButton } from "../components/CopyButton";
import { PagedList } from "../components/PagedList";
import { Empty, ErrorState, InlineError, Loading } from "../components/States";
import { WebhookEndpoints } from "../components/WebhookEndpoints";
import { WebhookLogsTable } from "../components/WebhookLogsTable";
import { useDashboard } from "../context";
import { pollWhile, useResource } from "../hooks";
import { useCursorPages } from "../paging";
import { isHttpUrl } from "../urls";

const PAGE_SIZE = 20;

export function WebhooksPage() {
  const { api } = useDashboard();
  const [status, setStatus] = useState("");
  // "" every endpoint, "default" the default one, or an endpoint's id: that endpoint's delivery log.
  const [endpoint, setEndpoint] = useState("");
  const pages = useCursorPages(`${status}|${endpoint}`);
  // Every endpoint fits one page (a merchant has at most the page's `limit` of them).
  const endpoints = useResource(
    () => api.get<Page<WebhookEndpoint>>("/api/v1/webhook_endpoints").then((page) => page.data),
    [api],
  );
  const logs = useResource(
    () =>
      api.get<Page<WebhookLog>>("/api/v1/webhooks", {
        limit: PAGE_SIZE,
        starting_after: pages.cursor,
        status,
        endpoint_id: endpoint,
      }),
    [api, status, endpoint, pages.cursor],
    (page) => pollWhile(page.data.some((log) => log.status === "pending"), 1500, 5000),
  );
  const showLog = (endpointId: string) => {
    setEndpoint(endpointId);
    document.getElementById("deliveries-title")?.scrollIntoView({ behavior: "smooth" });
  };
  const urlOf = (id: string) => endpoints.data?.find((e) => e.id === id)?.url ?? id;
  return (
    <>
      <header className="page-head">
        <h1>Webhooks</h1>
      </header>
      <WebhookSettings onTestSent={logs.reload} />
      <WebhookEndpoints endpoints={endpoints} onShowLog={showLog} />
      <section className="card" aria-labelledby="deliveries-title">
        <div className="card-head">
          <h2 id="deliveries-title">Deliveries{endpoint && endpoint !== "default" ? ` to ${urlOf(endpoint)}` : ""}</h2>
          <select value={endpoint} onChange={(e) => setEndpoint(e.target.value)} data-test-id="webhook-endpoint-filter" aria-label="Endpoint">
            <option value="">Every endpoint</option>
            <option value="default">Default endpoint</option>
            {(endpoints.data ?? []).map((e) => (
              <option key={e.id} value={e.id}>
                {e.url}
              </option>
            ))}
          </select>
          <select value={status} onChange={(e) => setStatus(e.target.value)} data-test-id="webhook-status-filter" aria-label="Status">
            <option value="">Any status</option>
            <option value="pending">pending</option>
            <option value="success">success</option>
            <option value="failed">failed</option>
            <option value="skipped">skipped</option>
          </select>
        </div>
        <p className="muted small">Retries: immediately, then after 1 min, 5 min, 30 min and 2 h; then failed. Click a row for every attempt.</p>
        <PagedList
          resource={logs}
          pages={pages}
          pageSize={PAGE_SIZE}
          loadingLabel="Loading deliveries…"
          empty={<Empty title={status ? `No ${status} deliveries` : "No deliveries yet"}>Save a URL and send a test event.</Empty>}
        >
          {(rows) => <WebhookLogsTable logs={rows} onChanged={logs.reload} />}
        </PagedList>
      </section>
    </>
  );
}

function WebhookSettings({ onTestSent }: { onTestSent: () => void }) {
  const { api } = useDashboard();
  const config = useResource(() => api.get<WebhookConfig>("/api/v1/merchant/webhook"), [api]);
  const [url, setUrl] = useState("");
  const [revealed, setRevealed] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<Error | string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => setUrl(config.data?.webhook_url ?? ""), [config.data?.webhook_url]);

  const act = async (work: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      setMessage(await work());
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };

  const save = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = url.trim();
    if (trimmed && !isHttpUrl(trimmed)) {
      setError("Enter an absolute http(s) URL, e.g. https://example.com/webhooks");
      return;
    }
    void act(async () => {
      await api.put<WebhookConfig>("/api/v1/merchant/webhook", { webhook_url: trimmed || null });
      config.reload();
      return trimmed ? "Webhook URL saved." : "Webhooks turned off.";
    });
  };

  const rotate = () =>
    void act(async () => {
      await api.post<WebhookConfig>("/api/v1/merchant/webhook/secret");
      setConfirming(false);
      setRevealed(true);
      config.reload();
      return "New secret in use: deliveries from now on, retries included, are signed with it.";
    });

  const sendTest = () =>
    void act(async () => {
      const reply = await api.post<RetryReply>("/api/v1/merchant/webhook/test");
      onTestSent();
      return `Test event queued (delivery ${reply.id}).`;
    });

  if (!config.data) {
    return <section className="card">{config.error ? <ErrorState error={config.error} onRetry={config.reload} /> : <Loading />}</section>;
  }
  const secret = config.data.webhook_secret;
  return (
    <section className="card" data-test-id="webhook-config" aria-labelledby="webhook-config-title">
      <h2 id="webhook-config-title">Endpoint</h2>
      <form className="row" onSubmit={save} data-test-id="webhook-config-form" noValidate>
        <label className="grow">
          Webhook URL
          <input
            type="url"
            placeholder="https://example.com/webhooks (empty turns webhooks off)"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            data-test-id="webhook-url-input"
          />
        </label>
        <button type="submit" className="button button-primary" disabled={busy} data-test-id="save-webhook-button">
          Save
        </button>
        <button
          type="button"
          className="button"
          disabled={busy || !config.data.webhook_url}
          title={config.data.webhook_url ? undefined : "Save a URL first"}
          onClick={sendTest}
          data-test-id="test-webhook-button"
        >
          Send test event
        </button>
      </form>
      <dl className="credentials">
        <dt>Signing secret</dt>
        <dd>
          <code data-test-id="webhook-secret" data-revealed={revealed}>
            {revealed ? secret : `whsec_${"•".repeat(20)}`}
          </code>
          <button type="button" className="button button-small" onClick={() => setRevealed(!revealed)} data-test-id="reveal-webhook-secret-button">
            {revealed ? "Hide" : "Reveal"}
          </button>
          <CopyButton text={secret} testId="copy-webhook-secret" />
          {confirming ? (
            <span className="confirm" role="group" aria-label="Confirm rotation">
              Old signatures stop verifying at once.
              <button type="button" className="button button-small button-danger" disabled={busy} onClick={rotate} data-test-id="confirm-regenerate-button">
                Rotate now
              </button>
              <button type="button" className="button button-small" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" className="button button-small" onClick={() => setConfirming(true)} data-test-id="regenerate-secret-button">
              Regenerate
            </button>
          )}
        </dd>
      </dl>
      {message ? (
        <p className="notice" role="status" data-test-id="webhook-message">
          {message}
        </p>
      ) : null}
      <InlineError error={error} />
    </section>
  );
}
