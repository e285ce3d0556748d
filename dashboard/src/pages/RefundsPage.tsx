import { useState, type FormEvent } from "react";
import { ApiError, type Page, type Payment, type Refund } from "../api";
import { PagedList } from "../components/PagedList";
import { RefundForm } from "../components/RefundForm";
import { RefundsTable } from "../components/RefundsTable";
import { RefundCreated } from "../components/RefundCreated";
import { Empty, InlineError } from "../components/States";
import { useDashboard } from "../context";
import { pollWhile, useResource } from "../hooks";
import { formatPaise } from "../money";
import { useCursorPages } from "../paging";

const PAGE_SIZE = 25;

export function RefundsPage() {
  const { api } = useDashboard();
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  const [applied, setApplied] = useState({ status: "", search: "" });
  const pages = useCursorPages(JSON.stringify(applied));
  const refunds = useResource(
    () =>
      api.get<Page<Refund>>("/api/v1/refunds", {
        limit: PAGE_SIZE,
        starting_after: pages.cursor,
        status: applied.status,
        search: applied.search.trim(),
      }),
    [api, applied, pages.cursor],
    (page) => pollWhile(page.data.some((r) => r.status === "pending"), 1500, 5000),
  );
  const filter = (event: FormEvent) => {
    event.preventDefault();
    setApplied({ status, search });
  };

  return (
    <>
      <header className="page-head">
        <h1>Refunds</h1>
      </header>
      <NewRefund onCreated={refunds.reload} />
      <section className="card" aria-labelledby="refund-list-title">
        <div className="card-head">
          <h2 id="refund-list-title">All refunds</h2>
          <form className="row" onSubmit={filter} aria-label="Filter refunds">
            <input
              type="search"
              placeholder="rfnd_… or pay_…"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              data-test-id="refund-search-input"
            />
            <select value={status} onChange={(e) => setStatus(e.target.value)} data-test-id="refund-status-filter">
              <option value="">Any status</option>
              <option value="pending">pending</option>
              <option value="processed">processed</option>
            </select>
            <button type="submit" className="button">
              Apply
            </button>
          </form>
        </div>
        <PagedList
          resource={refunds}
          pages={pages}
          pageSize={PAGE_SIZE}
          loadingLabel="Loading refunds…"
          empty={
            <Empty title={applied.status || applied.search ? "No refunds match" : "No refunds yet"}>
              Refund a successful payment above, or from its detail on Transactions.
            </Empty>
          }
        >
          {(rows) => <RefundsTable refunds={rows} />}
        </PagedList>
      </section>
    </>
  );
}

/** Look a payment up by id, then refund it fully or partly. */
function NewRefund({ onCreated }: { onCreated: () => void }) {
  const { api } = useDashboard();
  const [paymentId, setPaymentId] = useState("");
  const [payment, setPayment] = useState<Payment | null>(null);
  const [error, setError] = useState<Error | string | null>(null);
  const [done, setDone] = useState<Refund | null>(null);
  const find = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setPayment(null);
    setDone(null);
    const id = paymentId.trim();
    if (!/^pay_[A-Za-z0-9]+$/.test(id)) {
      setError("Enter a payment id like pay_…");
      return;
    }
    try {
      setPayment(await api.get<Payment>(`/api/v1/payments/${encodeURIComponent(id)}`));
    } catch (caught) {
      setError(caught instanceof ApiError && caught.status === 404 ? `No payment ${id}` : (caught as Error));
    }
  };
  return (
    <section className="card" aria-labelledby="new-refund-title">
      <h2 id="new-refund-title">Refund a payment</h2>
      <form className="row" onSubmit={(e) => void find(e)}>
        <input
          className="grow"
          placeholder="pay_…"
          value={paymentId}
          onChange={(e) => setPaymentId(e.target.value)}
          data-test-id="refund-payment-id-input"
          aria-label="Payment id"
        />
        <button type="submit" className="button" data-test-id="find-payment-button">
          Find payment
        </button>
      </form>
      <InlineError error={error} />
      {payment ? (
        <div className="found-payment" data-test-id="found-payment">
          <p>
            <code>{payment.id}</code> · {formatPaise(payment.amount, payment.currency)} · {payment.status}
            {payment.amount_refunded ? ` · ${formatPaise(payment.amount_refunded)} already refunded` : ""}
          </p>
          <RefundForm
            key={payment.id + payment.amount_refunded}
            payment={payment}
            onCreated={(refund) => {
              setDone(refund);
              setPayment(null);
              onCreated();
            }}
          />
        </div>
      ) : null}
      {done ? <RefundCreated refund={done} /> : null}
    </section>
  );
}
