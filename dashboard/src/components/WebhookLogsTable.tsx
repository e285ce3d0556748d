import { Fragment, useState } from "react";
import type { RetryReply, WebhookLog, WebhookLogDetail } from "../api";
import { useDashboard } from "../context";
import { useResource } from "../hooks";
import { formatDateTime, relativeTo } from "../time";
import { ErrorState, InlineError, Loading } from "./States";
import { StatusBadge } from "./StatusBadge";

export function WebhookLogsTable({ logs, onChanged }: { logs: WebhookLog[]; onChanged: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <div className="table-wrap">
      <table className="table" data-test-id="webhook-logs-table">
        <thead>
          <tr>
            <th>Event</th>
            <th>Status</th>
            <th className="number">Attempts</th>
            <th>Last attempt</th>
            <th className="number">Response</th>
            <th>Next retry</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {logs.map((log) => (
            <Fragment key={log.id}>
              <tr
                data-test-id="webhook-log-item"
                data-webhook-id={log.id}
                data-event-id={log.event_id}
                className="clickable"
                onClick={() => setOpen(open === log.id ? null : log.id)}
                aria-expanded={open === log.id}
              >
                <td>
                  <span data-test-id="webhook-event">{log.event}</span>
                  <div className="muted small">
                    <code>{log.event_id}</code>
                  </div>
                </td>
                <td>
                  <StatusBadge status={log.status} testId="webhook-status" />
                </td>
                <td className="number" data-test-id="webhook-attempts">
                  {log.attempts}/5
                </td>
                <td className="nowrap" data-test-id="webhook-last-attempt">{formatDateTime(log.last_attempt_at)}</td>
                <td className="number" data-test-id="webhook-response-code">
                  {log.response_code ?? "—"}
                </td>
                <td data-test-id="webhook-next-retry">
                  {log.status === "pending" && log.next_retry_at ? (
                    <span title={formatDateTime(log.next_retry_at)}>{relativeTo(log.next_retry_at)}</span>
                  ) : (
                    "—"
                  )}
                </td>
                <td onClick={(e) => e.stopPropagation()}>{log.status === "failed" ? <RetryButton log={log} onChanged={onChanged} /> : null}</td>
              </tr>
              {open === log.id ? (
                <tr className="detail-row">
                  <td colSpan={7}>
                    <WebhookLogDetailView id={log.id} status={log.status} attempts={log.attempts} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RetryButton({ log, onChanged }: { log: WebhookLog; onChanged: () => void }) {
  const { api } = useDashboard();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const retry = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.post<RetryReply>(`/api/v1/webhooks/${log.id}/retry`);
      onChanged();
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="button button-small" disabled={busy} onClick={() => void retry()} data-test-id="retry-webhook-button">
        {busy ? "Retrying…" : "Retry"}
      </button>
      <InlineError error={error} />
    </>
  );
}

/** Every attempt of one delivery; refetched when the row's status or attempt count changes. */
function WebhookLogDetailView({ id, status, attempts }: { id: string; status: string; attempts: number }) {
  const { api } = useDashboard();
  const detail = useResource(() => api.get<WebhookLogDetail>(`/api/v1/webhooks/${id}`), [api, id, status, attempts]);
  if (!detail.data) return detail.error ? <ErrorState error={detail.error} onRetry={detail.reload} /> : <Loading />;
  const log = detail.data;
  return (
    <div className="webhook-detail" data-test-id="webhook-detail">
      <h3>Attempts</h3>
      {log.attempt_history.length ? (
        <table className="table table-compact" data-test-id="webhook-attempts-table">
          <thead>
            <tr>
              <th>#</th>
              <th>At</th>
              <th className="number">Response</th>
              <th className="number">Latency</th>
              <th>Error / response body</th>
            </tr>
          </thead>
          <tbody>
            {log.attempt_history.map((attempt, index) => (
              <tr key={attempt.attempted_at + index} data-test-id="webhook-attempt">
                <td>{index + 1}</td>
                <td>{formatDateTime(attempt.attempted_at)}</td>
                <td className="number" data-test-id="attempt-response-code">
                  {attempt.response_code ?? "—"}
                </td>
                <td className="number">{attempt.latency_ms} ms</td>
                <td className="wrap">
                  {attempt.error ? <span className="inline-error">{attempt.error}</span> : null}
                  {attempt.response_body ? <code className="small">{attempt.response_body}</code> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No attempt yet: it is queued.</p>
      )}
      <h3>Payload (exact bytes signed)</h3>
      <pre className="code" data-test-id="webhook-payload">{JSON.stringify(log.payload, null, 2)}</pre>
    </div>
  );
}
