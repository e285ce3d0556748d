import { useState, type FormEvent } from "react";
import { newIdempotencyKey, type Page, type Report, type ReportType } from "../api";
import { PagedList } from "../components/PagedList";
import { Empty, InlineError } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { useDashboard } from "../context";
import { pollWhile, useResource } from "../hooks";
import { useCursorPages } from "../paging";
import { formatDateTime, localDayBoundary, timeZoneName } from "../time";

const PAGE_SIZE = 25;

// The form's choices, in the order a merchant thinks of them; the compiler checks each is a real type.
const REPORT_TYPES: readonly { type: ReportType; label: string }[] = [
  { type: "payments", label: "Payments" },
  { type: "refunds", label: "Refunds" },
  { type: "balance_transactions", label: "Balance transactions" },
  { type: "settlements", label: "Settlements" },
];

function typeLabel(type: ReportType): string {
  return REPORT_TYPES.find((choice) => choice.type === type)?.label ?? type;
}

function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function formatBytes(bytes: number | null): string {
  if (bytes === null) return "—";
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function ReportsPage() {
  const { api } = useDashboard();
  const [requested, setRequested] = useState<string | null>(null);
  const pages = useCursorPages("reports");
  // A report is written in the background: poll fast while one is on its way, so "ready" shows by itself.
  // Each answer signs fresh download links (15 minutes), so a link on screen is never stale for long.
  const reports = useResource(
    () => api.get<Page<Report>>("/api/v1/reports", { limit: PAGE_SIZE, starting_after: pages.cursor }),
    [api, pages.cursor],
    (page) => pollWhile(page.data.some((r) => r.status === "pending" || r.status === "generating"), 1000, 60_000),
  );
  return (
    <>
      <header className="page-head">
        <h1>Reports</h1>
        <span className="muted small">Days in {timeZoneName()}</span>
      </header>
      <NewReport
        onRequested={(report) => {
          setRequested(report.id);
          reports.reload();
        }}
      />
      <section className="card" aria-labelledby="reports-title">
        <h2 id="reports-title">Your reports</h2>
        <PagedList
          resource={reports}
          pages={pages}
          pageSize={PAGE_SIZE}
          loadingLabel="Loading reports…"
          empty={<Empty title="No reports yet">Request one above: a CSV for your accountant or your own books.</Empty>}
        >
          {(rows) => (
            <div className="table-wrap">
              <table className="table" data-test-id="reports-table">
                <thead>
                  <tr>
                    <th>Report</th>
                    <th>Type</th>
                    <th>Covers</th>
                    <th>Status</th>
                    <th className="number">Rows</th>
                    <th className="number">Size</th>
                    <th>File</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((report) => (
                    <tr
                      key={report.id}
                      className={report.id === requested ? "selected" : undefined}
                      data-test-id="report-row"
                      data-report-id={report.id}
                    >
                      <td>
                        <code>{report.id}</code>
                        <div className="muted small">{formatDateTime(report.created_at)}</div>
                      </td>
                      <td>{typeLabel(report.type)}</td>
                      <td className="small">
                        {formatDateTime(report.from)} –<br />
                        {formatDateTime(report.to)}
                      </td>
                      <td>
                        <StatusBadge status={report.status} testId="report-status" />
                        {report.failure_reason ? <div className="muted small">{report.failure_reason}</div> : null}
                      </td>
                      <td className="number" data-test-id="report-rows">
                        {report.row_count ?? "—"}
                      </td>
                      <td className="number">{formatBytes(report.size_bytes)}</td>
                      <td>
                        {report.download_url ? (
                          <a
                            className="button button-small"
                            href={report.download_url}
                            download={`${report.id}.csv`}
                            title={`Link valid until ${formatDateTime(report.download_expires_at)}`}
                            data-test-id="report-download"
                          >
                            Download CSV
                          </a>
                        ) : (
                          <span className="muted small">{report.status === "failed" ? "—" : "being written…"}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </PagedList>
      </section>
    </>
  );
}

function NewReport({ onRequested }: { onRequested: (report: Report) => void }) {
  const { api } = useDashboard();
  const today = new Date();
  const [type, setType] = useState<ReportType>("payments");
  const [from, setFrom] = useState(() => localDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29)));
  const [to, setTo] = useState(() => localDay(today));
  const [error, setError] = useState<Error | string | null>(null);
  const [busy, setBusy] = useState(false);
  const request = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const start = localDayBoundary(from, false);
    const lastMoment = localDayBoundary(to, true);
    if (!start || !lastMoment) return setError("Choose both days");
    // The API's window is [from, to): the day after the last one chosen, at midnight, so that day is whole.
    const end = new Date(new Date(lastMoment).getTime() + 1).toISOString();
    if (end <= start) return setError("The last day must not be before the first");
    setBusy(true);
    try {
      onRequested(await api.post<Report>("/api/v1/reports", { type, from: start, to: end }, newIdempotencyKey()));
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="new-report-title">
      <h2 id="new-report-title">Request a report</h2>
      <form className="form-grid" onSubmit={(e) => void request(e)} data-test-id="new-report-form">
        <label>
          Rows
          <select value={type} onChange={(e) => setType(e.target.value as ReportType)} data-test-id="report-type-input">
            {REPORT_TYPES.map((choice) => (
              <option key={choice.type} value={choice.type}>
                {choice.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Created from (first day)
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} required data-test-id="report-from-input" />
        </label>
        <label>
          To (last day, included)
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} required data-test-id="report-to-input" />
        </label>
        <div>
          <button type="submit" className="button button-primary" disabled={busy} data-test-id="request-report-button">
            {busy ? "Requesting…" : "Request report"}
          </button>
        </div>
      </form>
      <p className="muted small">At most 366 days. The file is written in the background; it appears below when it is ready.</p>
      <InlineError error={error} />
    </section>
  );
}
