import { useState, type FormEvent } from "react";
import { ApiError, type Dispute, type DisputeDocument, type DisputeStatus, type DocumentContentType, type Page } from "../api";
import { Countdown } from "../components/Countdown";
import { PagedList } from "../components/PagedList";
import { Empty, InlineError, Loading } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { useDashboard } from "../context";
import { pollWhile, useResource } from "../hooks";
import { formatPaise } from "../money";
import { useCursorPages } from "../paging";
import { navigate, useLocation, withParam } from "../router";
import { formatDateTime, timeZoneName } from "../time";

const PAGE_SIZE = 25;
// The filter's choices, in the order a dispute goes through them; the compiler checks each is real.
const STATUSES: readonly DisputeStatus[] = ["open", "under_review", "won", "lost"];
// What the API accepts as evidence (CreateDocumentRequest): the compiler checks each is one of them.
const DOCUMENT_TYPES: readonly DocumentContentType[] = ["application/pdf", "image/png", "image/jpeg", "text/plain"];
const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
const MAX_DOCUMENTS = 10;

function label(text: string): string {
  return text.replace(/_/g, " ");
}

export function DisputesPage() {
  const { api } = useDashboard();
  const location = useLocation();
  const selected = location.params.get("dispute");
  const [status, setStatus] = useState<DisputeStatus | "">("");
  const pages = useCursorPages(status);
  // An open dispute can be lost at its deadline without anyone here doing anything: keep polling.
  const disputes = useResource(
    () => api.get<Page<Dispute>>("/api/v1/disputes", { limit: PAGE_SIZE, starting_after: pages.cursor, status }),
    [api, status, pages.cursor],
    (page) => pollWhile(page.data.some((d) => d.status === "open" || d.status === "under_review"), 5000, 15000),
  );
  const open = (id: string | null) => navigate(withParam(location, "dispute", id), { replace: true });
  return (
    <>
      <header className="page-head">
        <h1>Disputes</h1>
        <span className="muted small">Times in {timeZoneName()}</span>
      </header>
      <section className="card" aria-labelledby="disputes-title">
        <div className="card-head">
          <h2 id="disputes-title">Inbox</h2>
          <select value={status} onChange={(e) => setStatus(e.target.value as DisputeStatus | "")} data-test-id="dispute-status-filter" aria-label="Status">
            <option value="">Any status</option>
            {STATUSES.map((name) => (
              <option key={name} value={name}>
                {label(name)}
              </option>
            ))}
          </select>
        </div>
        <PagedList
          resource={disputes}
          pages={pages}
          pageSize={PAGE_SIZE}
          loadingLabel="Loading disputes…"
          empty={<Empty title={status ? `No ${label(status)} disputes` : "No disputes"}>When a shopper's bank disputes a payment, it shows here with its deadline.</Empty>}
        >
          {(rows) => (
            <div className="table-wrap">
              <table className="table" data-test-id="disputes-table">
                <thead>
                  <tr>
                    <th>Dispute</th>
                    <th>Payment</th>
                    <th className="number">Amount</th>
                    <th>Reason</th>
                    <th>Status</th>
                    <th>Respond within</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((dispute) => (
                    <tr
                      key={dispute.id}
                      className={dispute.id === selected ? "selected clickable" : "clickable"}
                      tabIndex={0}
                      aria-expanded={dispute.id === selected}
                      onClick={() => open(dispute.id === selected ? null : dispute.id)}
                      onKeyDown={(event) => {
                        if (event.key === "Enter" || event.key === " ") {
                          event.preventDefault();
                          open(dispute.id === selected ? null : dispute.id);
                        }
                      }}
                      data-test-id="dispute-row"
                      data-dispute-id={dispute.id}
                    >
                      <td>
                        <code>{dispute.id}</code>
                        <div className="muted small">{formatDateTime(dispute.created_at)}</div>
                      </td>
                      <td>
                        <code>{dispute.payment_id}</code>
                      </td>
                      <td className="number">{formatPaise(dispute.amount, dispute.currency)}</td>
                      <td>{label(dispute.reason)}</td>
                      <td>
                        <StatusBadge status={dispute.status} testId="dispute-status" />
                      </td>
                      <td>{dispute.status === "open" ? <Countdown to={dispute.respond_by} /> : <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </PagedList>
      </section>
      {selected ? <DisputeDetail disputeId={selected} onChanged={disputes.reload} /> : null}
    </>
  );
}

function DisputeDetail({ disputeId, onChanged }: { disputeId: string; onChanged: () => void }) {
  const { api } = useDashboard();
  const dispute = useResource(
    () => api.get<Dispute>(`/api/v1/disputes/${encodeURIComponent(disputeId)}`),
    [api, disputeId],
    (current) => pollWhile(current.status === "open" || current.status === "under_review", 5000, 60_000),
  );
  if (!dispute.data) return dispute.error ? <InlineError error={dispute.error} /> : <Loading label="Loading dispute…" />;
  const current = dispute.data;
  const changed = () => {
    dispute.reload();
    onChanged();
  };
  return (
    <section className="card" aria-labelledby="dispute-detail-title" data-test-id="dispute-detail" data-dispute-id={current.id}>
      <div className="card-head">
        <h2 id="dispute-detail-title">
          {formatPaise(current.amount, current.currency)} disputed: {label(current.reason)}{" "}
          <StatusBadge status={current.status} testId="dispute-detail-status" />
        </h2>
        {current.status === "open" ? <Countdown to={current.respond_by} testId="dispute-detail-countdown" /> : null}
      </div>
      <p className="muted small">
        <code>{current.id}</code> on payment <code>{current.payment_id}</code> · opened {formatDateTime(current.created_at)} · respond by{" "}
        {formatDateTime(current.respond_by)}
        {current.closed_reason ? ` · closed (${current.closed_reason}) ${formatDateTime(current.closed_at)}` : ""}
      </p>
      {current.evidence ? (
        <div data-test-id="dispute-evidence">
          <h3>Your evidence</h3>
          <p className="muted small">Submitted {formatDateTime(current.evidence_submitted_at)}</p>
          <p>{current.evidence.summary}</p>
          {current.evidence.documents?.length ? (
            <ul>
              {current.evidence.documents.map((id) => (
                <li key={id}>
                  <code data-test-id="evidence-document">{id}</code>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {current.status === "open" ? (
        <>
          <AcceptDispute dispute={current} onDone={changed} />
          <ContestDispute dispute={current} onDone={changed} />
        </>
      ) : null}
    </section>
  );
}

function AcceptDispute({ dispute, onDone }: { dispute: Dispute; onDone: () => void }) {
  const { api } = useDashboard();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const accept = async () => {
    setError(null);
    setBusy(true);
    try {
      await api.post<Dispute>(`/api/v1/disputes/${encodeURIComponent(dispute.id)}/accept`);
      setConfirming(false);
      onDone();
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="row">
      {confirming ? (
        <p>
          Accept this dispute? It is lost: {formatPaise(dispute.amount, dispute.currency)} stays with the shopper, and it cannot be
          contested afterwards.{" "}
          <button type="button" className="button button-danger button-small" disabled={busy} onClick={() => void accept()} data-test-id="confirm-accept-dispute">
            Accept and lose {formatPaise(dispute.amount, dispute.currency)}
          </button>{" "}
          <button type="button" className="button button-small" onClick={() => setConfirming(false)} data-test-id="keep-dispute">
            Keep it open
          </button>
        </p>
      ) : (
        <button type="button" className="button button-small" onClick={() => setConfirming(true)} data-test-id="accept-dispute-button">
          Accept dispute…
        </button>
      )}
      <InlineError error={error} />
    </div>
  );
}

/** Evidence: each file goes straight from the browser to S3 through the presigned PUT the API hands
 * out (its Content-Type and size are signed), then the contest names the documents. */
function ContestDispute({ dispute, onDone }: { dispute: Dispute; onDone: () => void }) {
  const { api } = useDashboard();
  const [summary, setSummary] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<Error | string | null>(null);
  const [busy, setBusy] = useState(false);

  const upload = async (file: File): Promise<string> => {
    const document = await api.post<DisputeDocument>(`/api/v1/disputes/${encodeURIComponent(dispute.id)}/documents`, {
      filename: file.name,
      content_type: file.type,
      size: file.size,
    });
    let response: Response;
    try {
      response = await fetch(document.upload_url, { method: "PUT", headers: { "Content-Type": document.content_type }, body: file });
    } catch {
      throw new ApiError(0, "UPLOAD_FAILED", `Could not upload ${file.name}: the file store did not answer`);
    }
    if (!response.ok) throw new ApiError(response.status, "UPLOAD_FAILED", `Could not upload ${file.name}: the file store answered ${response.status}`);
    return document.id;
  };

  const contest = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (!summary.trim()) return setError("Write a summary of your case");
    if (files.length > MAX_DOCUMENTS) return setError(`At most ${MAX_DOCUMENTS} documents`);
    for (const file of files) {
      if (!(DOCUMENT_TYPES as readonly string[]).includes(file.type)) return setError(`${file.name}: PDF, PNG, JPEG or plain text only`);
      if (file.size < 1 || file.size > MAX_DOCUMENT_BYTES) return setError(`${file.name}: 1 byte to 10 MB`);
    }
    setBusy(true);
    try {
      const documents: string[] = [];
      for (const [index, file] of files.entries()) {
        setProgress(`Uploading ${file.name} (${index + 1} of ${files.length})…`);
        documents.push(await upload(file));
      }
      setProgress("Submitting…");
      await api.post<Dispute>(`/api/v1/disputes/${encodeURIComponent(dispute.id)}/contest`, { evidence: { summary: summary.trim(), documents } });
      onDone();
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  return (
    <form className="form-stack" onSubmit={(e) => void contest(e)} data-test-id="contest-form">
      <h3>Contest with evidence</h3>
      <label>
        Summary of your case
        <textarea value={summary} onChange={(e) => setSummary(e.target.value)} maxLength={5000} data-test-id="evidence-summary-input" />
      </label>
      <label>
        Documents (PDF, PNG, JPEG or text; up to {MAX_DOCUMENTS}, 10 MB each)
        <input
          type="file"
          multiple
          accept={DOCUMENT_TYPES.join(",")}
          onChange={(e) => setFiles(Array.from(e.target.files ?? []))}
          data-test-id="evidence-files-input"
        />
      </label>
      {files.length ? (
        <ul className="small" data-test-id="evidence-files">
          {files.map((file) => (
            <li key={`${file.name}-${file.size}`}>
              {file.name} <span className="muted">({file.size.toLocaleString()} bytes)</span>
            </li>
          ))}
        </ul>
      ) : null}
      <div>
        <button type="submit" className="button button-primary" disabled={busy} data-test-id="contest-dispute-button">
          {busy ? "Contesting…" : "Submit evidence"}
        </button>{" "}
        {progress ? <span className="muted small" role="status">{progress}</span> : null}
      </div>
      <InlineError error={error} />
    </form>
  );
}
