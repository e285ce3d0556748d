import { Fragment, useState } from "react";
import type { Balance, BalanceTransaction, Page, Settlement } from "../api";
import type { components } from "../api-schema";
import { PagedList } from "../components/PagedList";
import { Empty, ErrorState, Loading } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { useDashboard } from "../context";
import { useResource } from "../hooks";
import { formatPaise } from "../money";
import { useCursorPages } from "../paging";
import { navigate, useLocation, withParam } from "../router";
import { formatDateTime, timeZoneName } from "../time";

const PAGE_SIZE = 25;
const ENTRIES_PAGE_SIZE = 10;

type EntryType = NonNullable<components["schemas"]["BalanceTransactionListQuery"]["type"]>;
// The filter's choices, in the order a merchant meets them; the compiler checks each is a real type.
const ENTRY_TYPES: readonly EntryType[] = ["payment", "refund", "settlement", "dispute", "dispute_reversal", "adjustment"];

export function BalancePage() {
  return (
    <>
      <header className="page-head">
        <h1>Balance</h1>
        <span className="muted small">Times in {timeZoneName()}</span>
      </header>
      <BalancePanel />
      <Settlements />
      <BalanceTransactions />
    </>
  );
}

function BalancePanel() {
  const { api } = useDashboard();
  const balance = useResource(() => api.get<Balance>("/api/v1/balance"), [api], () => 10_000);
  return (
    <section className="card" aria-labelledby="balance-title">
      <h2 id="balance-title">Unsettled balance</h2>
      {balance.data ? (
        <div className="stats" data-test-id="balance">
          <div className="stat">
            <div className="stat-label">Available (paid out at the next settlement)</div>
            <div className="stat-value" data-test-id="balance-available">
              {formatPaise(balance.data.available, balance.data.currency)}
            </div>
          </div>
          <div className="stat">
            <div className="stat-label">Pending (not yet available)</div>
            <div className="stat-value" data-test-id="balance-pending">
              {formatPaise(balance.data.pending, balance.data.currency)}
            </div>
          </div>
        </div>
      ) : balance.error ? (
        <ErrorState error={balance.error} onRetry={balance.reload} />
      ) : (
        <Loading />
      )}
    </section>
  );
}

function Settlements() {
  const { api } = useDashboard();
  const location = useLocation();
  const selected = location.params.get("settlement");
  const pages = useCursorPages("settlements");
  const settlements = useResource(
    () => api.get<Page<Settlement>>("/api/v1/settlements", { limit: PAGE_SIZE, starting_after: pages.cursor }),
    [api, pages.cursor],
    () => 10_000,
  );
  const toggle = (id: string) => navigate(withParam(location, "settlement", selected === id ? null : id), { replace: true });
  return (
    <section className="card" aria-labelledby="settlements-title">
      <h2 id="settlements-title">Settlements</h2>
      <PagedList
        resource={settlements}
        pages={pages}
        pageSize={PAGE_SIZE}
        loadingLabel="Loading settlements…"
        empty={<Empty title="No settlements yet">Available money is paid out once a day.</Empty>}
      >
        {(rows) => (
          <div className="table-wrap">
            <table className="table" data-test-id="settlements-table">
              <thead>
                <tr>
                  <th>Settlement</th>
                  <th className="number">Paid out</th>
                  <th className="number">Fees</th>
                  <th className="number">GST</th>
                  <th className="number">Entries</th>
                  <th>Status</th>
                  <th>Processed</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((settlement) => (
                  <Fragment key={settlement.id}>
                    <tr
                      className="clickable"
                      tabIndex={0}
                      aria-expanded={selected === settlement.id}
                      onClick={() => toggle(settlement.id)}
                      onKeyDown={(event) => {
                        if (event.key === "Enter" || event.key === " ") {
                          event.preventDefault();
                          toggle(settlement.id);
                        }
                      }}
                      data-test-id="settlement-row"
                      data-settlement-id={settlement.id}
                    >
                      <td>
                        <code>{settlement.id}</code>
                      </td>
                      <td className="number" data-test-id="settlement-amount">
                        {formatPaise(settlement.amount, settlement.currency)}
                      </td>
                      <td className="number">{formatPaise(settlement.fees, settlement.currency)}</td>
                      <td className="number">{formatPaise(settlement.tax, settlement.currency)}</td>
                      <td className="number">{settlement.entries}</td>
                      <td>
                        <StatusBadge status={settlement.status} testId="settlement-status" />
                      </td>
                      <td>{formatDateTime(settlement.processed_at)}</td>
                    </tr>
                    {selected === settlement.id ? (
                      <tr className="detail-row">
                        <td colSpan={7}>
                          <SettlementEntries settlementId={settlement.id} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </PagedList>
    </section>
  );
}

/** The entries a settlement paid out, and its own entry (the payout). */
function SettlementEntries({ settlementId }: { settlementId: string }) {
  const { api } = useDashboard();
  const pages = useCursorPages(settlementId);
  const entries = useResource(
    () =>
      api.get<Page<BalanceTransaction>>("/api/v1/balance_transactions", {
        settlement_id: settlementId,
        limit: ENTRIES_PAGE_SIZE,
        starting_after: pages.cursor,
      }),
    [api, settlementId, pages.cursor],
  );
  return (
    <div data-test-id="settlement-entries" aria-label={`Entries of ${settlementId}`}>
      <PagedList resource={entries} pages={pages} pageSize={ENTRIES_PAGE_SIZE} loadingLabel="Loading entries…" empty={<Empty title="No entries" />}>
        {(rows) => <EntriesTable entries={rows} testId="settlement-entries-table" showSettlement={false} />}
      </PagedList>
    </div>
  );
}

function BalanceTransactions() {
  const { api } = useDashboard();
  const [type, setType] = useState<EntryType | "">("");
  const pages = useCursorPages(type);
  const entries = useResource(
    () => api.get<Page<BalanceTransaction>>("/api/v1/balance_transactions", { limit: PAGE_SIZE, starting_after: pages.cursor, type }),
    [api, type, pages.cursor],
    () => 10_000,
  );
  return (
    <section className="card" aria-labelledby="entries-title">
      <div className="card-head">
        <h2 id="entries-title">Balance transactions</h2>
        <label className="row">
          Type
          <select value={type} onChange={(e) => setType(e.target.value as EntryType | "")} data-test-id="entry-type-filter">
            <option value="">Any type</option>
            {ENTRY_TYPES.map((name) => (
              <option key={name} value={name}>
                {name.replace("_", " ")}
              </option>
            ))}
          </select>
        </label>
      </div>
      <PagedList
        resource={entries}
        pages={pages}
        pageSize={PAGE_SIZE}
        loadingLabel="Loading balance transactions…"
        empty={<Empty title={type ? `No ${type.replace("_", " ")} entries` : "No balance transactions yet"}>A payment enters the books when it is captured.</Empty>}
      >
        {(rows) => <EntriesTable entries={rows} testId="entries-table" showSettlement />}
      </PagedList>
    </section>
  );
}

function EntriesTable({ entries, testId, showSettlement }: { entries: BalanceTransaction[]; testId: string; showSettlement: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table" data-test-id={testId}>
        <thead>
          <tr>
            <th>Entry</th>
            <th>Type</th>
            <th>Source</th>
            <th className="number">Amount</th>
            <th className="number">Fee</th>
            <th className="number">GST</th>
            <th className="number">Net</th>
            <th>Available on</th>
            {showSettlement ? <th>Settlement</th> : null}
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id} data-test-id="entry-row" data-entry-id={entry.id} data-type={entry.type}>
              <td>
                <code>{entry.id}</code>
                <div className="muted small">{formatDateTime(entry.created_at)}</div>
              </td>
              <td data-test-id="entry-type">{entry.type.replace("_", " ")}</td>
              <td>
                <code data-test-id="entry-source">{entry.source_id}</code>
              </td>
              <td className="number" data-test-id="entry-amount">
                {formatPaise(entry.amount, entry.currency)}
              </td>
              <td className="number">{formatPaise(entry.fee, entry.currency)}</td>
              <td className="number">{formatPaise(entry.tax, entry.currency)}</td>
              <td className="number" data-test-id="entry-net">
                {formatPaise(entry.net, entry.currency)}
              </td>
              <td>{formatDateTime(entry.available_on)}</td>
              {showSettlement ? <td>{entry.settlement_id ? <code>{entry.settlement_id}</code> : <span className="muted">unsettled</span>}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
