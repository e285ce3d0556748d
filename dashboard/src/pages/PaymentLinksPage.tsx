import { useState, type FormEvent } from "react";
import { ApiError, newIdempotencyKey, type Page, type Payment, type PaymentLink } from "../api";
import { CopyButton } from "../components/CopyButton";
import { PagedList } from "../components/PagedList";
import { methodLabel } from "../components/PaymentsTable";
import { QrCode } from "../components/QrCode";
import { Empty, InlineError, Loading } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { useDashboard } from "../context";
import { pollWhile, useResource } from "../hooks";
import { formatPaise, parseRupees } from "../money";
import { useCursorPages } from "../paging";
import { formatDateTime } from "../time";

const PAGE_SIZE = 25;

export function PaymentLinksPage() {
  const { api } = useDashboard();
  const [status, setStatus] = useState("");
  const pages = useCursorPages(status);
  const [openId, setOpenId] = useState<string | null>(null);
  const links = useResource(
    () => api.get<Page<PaymentLink>>("/api/v1/payment_links", { limit: PAGE_SIZE, starting_after: pages.cursor, status }),
    [api, status, pages.cursor],
    (page) => pollWhile(page.data.some((l) => l.status === "partially_paid"), 2500, 10000),
  );
  return (
    <>
      <header className="page-head">
        <h1>Payment links</h1>
      </header>
      <NewPaymentLink
        onCreated={(link) => {
          setOpenId(link.id);
          links.reload();
        }}
      />
      <section className="card" aria-labelledby="link-list-title">
        <div className="card-head">
          <h2 id="link-list-title">All payment links</h2>
          <select value={status} onChange={(e) => setStatus(e.target.value)} data-test-id="link-status-filter" aria-label="Status">
            <option value="">Any status</option>
            {["created", "partially_paid", "paid", "expired", "cancelled"].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <PagedList
          resource={links}
          pages={pages}
          pageSize={PAGE_SIZE}
          loadingLabel="Loading payment links…"
          empty={<Empty title={status ? "No payment links match" : "No payment links yet"}>Create one above.</Empty>}
        >
          {(rows) => (
            <div className="table-wrap">
              <table className="table" data-test-id="links-table">
                <thead>
                  <tr>
                    <th>Link</th>
                    <th>Description</th>
                    <th className="num">Amount</th>
                    <th className="num">Paid</th>
                    <th>Status</th>
                    <th>Created</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((link) => (
                    <tr
                      key={link.id}
                      className={link.id === openId ? "selected clickable" : "clickable"}
                      onClick={() => setOpenId(link.id === openId ? null : link.id)}
                      data-test-id="link-row"
                      data-link-id={link.id}
                    >
                      <td className="mono">{link.id}</td>
                      <td>{link.description ?? "—"}</td>
                      <td className="num">{formatPaise(link.amount, link.currency)}</td>
                      <td className="num">{formatPaise(link.amount_paid, link.currency)}</td>
                      <td>
                        <StatusBadge status={link.status} testId="link-status" />
                      </td>
                      <td>{formatDateTime(link.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </PagedList>
      </section>
      {openId ? <LinkDetail linkId={openId} onChanged={links.reload} /> : null}
    </>
  );
}

function NewPaymentLink({ onCreated }: { onCreated: (link: PaymentLink) => void }) {
  const { api } = useDashboard();
  const [amount, setAmount] = useState("");
  const [description, setDescription] = useState("");
  const [referenceId, setReferenceId] = useState("");
  const [partial, setPartial] = useState(false);
  const [firstMin, setFirstMin] = useState("");
  const [expiresInHours, setExpiresInHours] = useState("");
  const [error, setError] = useState<Error | string | null>(null);
  const [busy, setBusy] = useState(false);
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const parsed = parseRupees(amount);
    if ("error" in parsed) return setError(parsed.error);
    if (parsed.paise < 100) return setError("The amount must be at least ₹1.00");
    const body: Record<string, unknown> = { amount: parsed.paise, accept_partial: partial };
    if (description.trim()) body.description = description.trim();
    if (referenceId.trim()) body.reference_id = referenceId.trim();
    if (partial && firstMin.trim()) {
      const least = parseRupees(firstMin);
      if ("error" in least) return setError(least.error);
      if (least.paise > parsed.paise) return setError("The first payment's minimum must not exceed the amount");
      body.first_min_partial_amount = least.paise;
    }
    if (expiresInHours.trim()) {
      const hours = Number(expiresInHours);
      if (!Number.isInteger(hours) || hours < 1 || hours > 8760) return setError("Expiry: whole hours, 1 to 8760");
      body.expire_by = Math.floor(Date.now() / 1000) + hours * 3600;
    }
    setBusy(true);
    try {
      onCreated(await api.post<PaymentLink>("/api/v1/payment_links", body, newIdempotencyKey()));
      setAmount("");
      setDescription("");
      setReferenceId("");
      setFirstMin("");
      setExpiresInHours("");
      setPartial(false);
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="new-link-title">
      <h2 id="new-link-title">Create a payment link</h2>
      <form className="form-grid" onSubmit={(e) => void create(e)} data-test-id="new-link-form">
        <label>
          Amount (₹)
          <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" data-test-id="link-amount-input" />
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} data-test-id="link-description-input" />
        </label>
        <label>
          Reference id
          <input value={referenceId} onChange={(e) => setReferenceId(e.target.value)} maxLength={40} data-test-id="link-reference-input" />
        </label>
        <label>
          Expires in (hours, optional)
          <input value={expiresInHours} onChange={(e) => setExpiresInHours(e.target.value)} inputMode="numeric" data-test-id="link-expiry-input" />
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={partial} onChange={(e) => setPartial(e.target.checked)} data-test-id="link-partial-input" />
          Accept partial payments
        </label>
        {partial ? (
          <label>
            First payment at least (₹, optional)
            <input value={firstMin} onChange={(e) => setFirstMin(e.target.value)} inputMode="decimal" data-test-id="link-first-min-input" />
          </label>
        ) : null}
        <div>
          <button type="submit" className="button button-primary" disabled={busy} data-test-id="create-link-button">
            {busy ? "Creating…" : "Create link"}
          </button>
        </div>
      </form>
      <InlineError error={error} />
    </section>
  );
}

function LinkDetail({ linkId, onChanged }: { linkId: string; onChanged: () => void }) {
  const { api } = useDashboard();
  const link = useResource(
    () => api.get<PaymentLink>(`/api/v1/payment_links/${encodeURIComponent(linkId)}`),
    [api, linkId],
    (current) => pollWhile(current.status === "created" || current.status === "partially_paid", 2500, 10000),
  );
  const payments = useResource(
    () => (link.data ? api.get<Page<Payment>>("/api/v1/payments", { order_id: link.data.order_id, limit: 100 }) : Promise.resolve(null)),
    [api, link.data?.order_id, link.data?.amount_paid, link.data?.status],
  );
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  if (!link.data) return link.error ? <InlineError error={link.error} /> : <Loading label="Loading link…" />;
  const current = link.data;
  const open = current.status === "created" || current.status === "partially_paid";
  const cancel = async () => {
    setError(null);
    try {
      await api.post<PaymentLink>(`/api/v1/payment_links/${encodeURIComponent(current.id)}/cancel`);
      setConfirming(false);
      link.reload();
      onChanged();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : (caught as Error));
    }
  };
  return (
    <section className="card" aria-labelledby="link-detail-title" data-test-id="link-detail">
      <div className="card-head">
        <h2 id="link-detail-title">
          {current.description ?? "Payment link"} <StatusBadge status={current.status} testId="link-detail-status" />
        </h2>
      </div>
      <div className="link-detail">
        <QrCode text={current.short_url} testId="link-qr" />
        <div className="grow">
          <p>
            <a href={current.short_url} target="_blank" rel="noreferrer" data-test-id="link-short-url">
              {current.short_url}
            </a>{" "}
            <CopyButton text={current.short_url} testId="copy-short-url" />
          </p>
          <p>
            {formatPaise(current.amount_paid, current.currency)} paid of {formatPaise(current.amount, current.currency)}
            {current.accept_partial ? " (partial payments accepted)" : ""}
          </p>
          <p className="muted small">
            Order <span className="mono">{current.order_id}</span>
            {current.reference_id ? ` · reference ${current.reference_id}` : ""}
            {current.expire_by ? ` · expires ${formatDateTime(new Date(current.expire_by * 1000).toISOString())}` : ""}
          </p>
          {open ? (
            confirming ? (
              <p>
                Cancel this link? Shoppers can no longer pay it.{" "}
                <button type="button" className="button button-danger button-small" onClick={() => void cancel()} data-test-id="confirm-cancel-link">
                  Cancel link
                </button>{" "}
                <button type="button" className="button button-small" onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </p>
            ) : (
              <button type="button" className="button button-small" onClick={() => setConfirming(true)} data-test-id="cancel-link-button">
                Cancel link…
              </button>
            )
          ) : null}
          <InlineError error={error} />
        </div>
      </div>
      <h3>Its payments</h3>
      {payments.data?.data.length ? (
        <table className="table" data-test-id="link-payments">
          <tbody>
            {payments.data.data.map((payment) => (
              <tr key={payment.id} data-test-id="link-payment-row">
                <td className="mono">{payment.id}</td>
                <td>{methodLabel(payment)}</td>
                <td className="num">{formatPaise(payment.amount, payment.currency)}</td>
                <td>
                  <StatusBadge status={payment.status} />
                </td>
                <td>{formatDateTime(payment.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No payments yet.</p>
      )}
    </section>
  );
}
