import { useState, type FormEvent } from "react";
import { EVENT_TYPES, type WebhookEndpoint, type WebhookEndpointWithSecret } from "../api";
import { useDashboard } from "../context";
import type { Resource } from "../hooks";
import { formatDateTime } from "../time";
import { isHttpUrl } from "../urls";
import { CopyButton } from "./CopyButton";
import { Empty, ErrorState, InlineError, Loading } from "./States";

/** Endpoints beyond the default one, each with its own URL, event filter and signing secret. */
export function WebhookEndpoints({
  endpoints,
  onShowLog,
}: {
  endpoints: Resource<WebhookEndpoint[]>;
  onShowLog: (endpointId: string) => void;
}) {
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [created, setCreated] = useState<WebhookEndpointWithSecret | null>(null);

  return (
    <section className="card" data-test-id="webhook-endpoints" aria-labelledby="endpoints-title">
      <div className="card-head">
        <h2 id="endpoints-title">More endpoints</h2>
        {adding ? null : (
          <button type="button" className="button" onClick={() => setAdding(true)} data-test-id="add-endpoint-button">
            Add endpoint
          </button>
        )}
      </div>
      <p className="muted small">Each endpoint gets only the events it subscribes to, signed with its own secret, and is retried on its own.</p>
      {adding ? (
        <EndpointForm
          onDone={(saved) => {
            setAdding(false);
            if (saved) {
              setCreated(saved as WebhookEndpointWithSecret);
              endpoints.reload();
            }
          }}
        />
      ) : null}
      {created ? (
        <p className="notice" role="status" data-test-id="endpoint-created">
          Endpoint added. Its signing secret: <code data-test-id="endpoint-secret">{created.secret}</code>{" "}
          <CopyButton text={created.secret} testId="copy-endpoint-secret" /> (also under Secret, any time)
        </p>
      ) : null}
      {endpoints.data === undefined ? (
        endpoints.error ? (
          <ErrorState error={endpoints.error} onRetry={endpoints.reload} />
        ) : (
          <Loading label="Loading endpoints…" />
        )
      ) : endpoints.data.length === 0 ? (
        <Empty title="No other endpoints">The default endpoint above gets every event.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-test-id="endpoints-table">
            <thead>
              <tr>
                <th>URL</th>
                <th>Events</th>
                <th>State</th>
                <th>Added</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {endpoints.data.map((endpoint) =>
                editing === endpoint.id ? (
                  <tr key={endpoint.id} data-test-id="endpoint-item" data-endpoint-id={endpoint.id}>
                    <td colSpan={5}>
                      <EndpointForm
                        endpoint={endpoint}
                        onDone={(saved) => {
                          setEditing(null);
                          if (saved) endpoints.reload();
                        }}
                      />
                    </td>
                  </tr>
                ) : (
                  <EndpointRow
                    key={endpoint.id}
                    endpoint={endpoint}
                    onEdit={() => setEditing(endpoint.id)}
                    onChanged={endpoints.reload}
                    onShowLog={() => onShowLog(endpoint.id)}
                  />
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function EndpointRow({
  endpoint,
  onEdit,
  onChanged,
  onShowLog,
}: {
  endpoint: WebhookEndpoint;
  onEdit: () => void;
  onChanged: () => void;
  onShowLog: () => void;
}) {
  const { api } = useDashboard();
  const [confirming, setConfirming] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };
  const state = endpoint.disabled ? "disabled" : endpoint.failing_since ? "failing" : "enabled";
  const badge = { disabled: "badge-muted", failing: "badge-bad", enabled: "badge-good" }[state];
  const path = `/api/v1/webhook_endpoints/${endpoint.id}`;
  const toggleDisabled = () =>
    void act(async () => {
      await api.patch(path, { disabled: !endpoint.disabled });
      onChanged();
    });
  const toggleSecret = () =>
    void act(async () => setSecret(secret ? null : (await api.get<WebhookEndpointWithSecret>(path)).secret));
  const remove = () =>
    void act(async () => {
      await api.delete(path);
      onChanged();
    });

  return (
    <tr data-test-id="endpoint-item" data-endpoint-id={endpoint.id}>
      <td>
        <code data-test-id="endpoint-url">{endpoint.url}</code>
        {secret ? (
          <div className="small">
            <code data-test-id="endpoint-secret">{secret}</code> <CopyButton text={secret} testId="copy-endpoint-secret" />
          </div>
        ) : null}
        <InlineError error={error} />
      </td>
      <td data-test-id="endpoint-events">{endpoint.enabled_events.join(", ")}</td>
      <td>
        <span className={`badge ${badge}`} data-test-id="endpoint-state" title={endpoint.failing_since ? `failing since ${formatDateTime(endpoint.failing_since)}` : undefined}>
          {state}
        </span>
      </td>
      <td className="nowrap">{formatDateTime(endpoint.created_at)}</td>
      <td className="nowrap">
        <div className="actions">
          <button type="button" className="button button-small" onClick={onShowLog} data-test-id="endpoint-log-button">
            Deliveries
          </button>
          <button type="button" className="button button-small" disabled={busy} onClick={onEdit} data-test-id="edit-endpoint-button">
            Edit
          </button>
          <button type="button" className="button button-small" disabled={busy} onClick={toggleDisabled} data-test-id="toggle-endpoint-button">
            {endpoint.disabled ? "Enable" : "Disable"}
          </button>
          <button type="button" className="button button-small" disabled={busy} onClick={toggleSecret} data-test-id="reveal-endpoint-secret-button">
            {secret ? "Hide secret" : "Secret"}
          </button>
          {confirming ? (
            <span className="confirm" role="group" aria-label="Confirm deletion">
              Pending deliveries are dropped.
              <button type="button" className="button button-small button-danger" disabled={busy} onClick={remove} data-test-id="confirm-delete-endpoint-button">
                Delete now
              </button>
              <button type="button" className="button button-small" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" className="button button-small button-danger" onClick={() => setConfirming(true)} data-test-id="delete-endpoint-button">
              Delete
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

/** Add (no `endpoint`) or edit an endpoint: its URL and the events it subscribes to. */
function EndpointForm({ endpoint, onDone }: { endpoint?: WebhookEndpoint; onDone: (saved: WebhookEndpoint | null) => void }) {
  const { api } = useDashboard();
  const [url, setUrl] = useState(endpoint?.url ?? "");
  const [all, setAll] = useState(endpoint ? endpoint.enabled_events.includes("*") : true);
  const [events, setEvents] = useState<string[]>(endpoint?.enabled_events.filter((e) => e !== "*") ?? []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | string | null>(null);

  const toggle = (event: string) => setEvents(events.includes(event) ? events.filter((e) => e !== event) : [...events, event]);

  const save = async (submitted: FormEvent) => {
    submitted.preventDefault();
    const trimmed = url.trim();
    if (!isHttpUrl(trimmed)) {
      setError("Enter an absolute http(s) URL, e.g. https://example.com/webhooks");
      return;
    }
    if (!all && events.length === 0) {
      setError("Pick at least one event, or All events");
      return;
    }
    const body = { url: trimmed, enabled_events: all ? ["*"] : events };
    setBusy(true);
    setError(null);
    try {
      const saved = endpoint
        ? await api.patch<WebhookEndpoint>(`/api/v1/webhook_endpoints/${endpoint.id}`, body)
        : await api.post<WebhookEndpointWithSecret>("/api/v1/webhook_endpoints", body);
      onDone(saved);
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="endpoint-form" onSubmit={(e) => void save(e)} data-test-id="endpoint-form" noValidate>
      <label className="grow">
        Endpoint URL
        <input type="url" placeholder="https://example.com/webhooks" value={url} onChange={(e) => setUrl(e.target.value)} data-test-id="endpoint-url-input" />
      </label>
      <fieldset className="event-choices">
        <legend>Events</legend>
        <label>
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-test-id="endpoint-all-events" /> All events
        </label>
        {EVENT_TYPES.map((event) => (
          <label key={event}>
            <input type="checkbox" disabled={all} checked={!all && events.includes(event)} onChange={() => toggle(event)} data-test-id={`endpoint-event-${event}`} />{" "}
            {event}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <button type="submit" className="button button-primary" disabled={busy} data-test-id="save-endpoint-button">
          {endpoint ? "Save" : "Add endpoint"}
        </button>
        <button type="button" className="button" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
      <InlineError error={error} />
    </form>
  );
}
