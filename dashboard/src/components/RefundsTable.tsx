import type { Refund } from "../api";
import { formatPaise } from "../money";
import { formatDateTime } from "../time";
import { StatusBadge } from "./StatusBadge";

export function RefundsTable({ refunds, testId = "refunds-table", showPayment = true }: { refunds: Refund[]; testId?: string; showPayment?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table" data-test-id={testId}>
        <thead>
          <tr>
            <th>Refund</th>
            {showPayment ? <th>Payment</th> : null}
            <th className="number">Amount</th>
            <th>Status</th>
            <th>Created</th>
            <th>Processed</th>
          </tr>
        </thead>
        <tbody>
          {refunds.map((refund) => (
            <tr key={refund.id} data-test-id="refund-row" data-refund-id={refund.id}>
              <td>
                <code data-test-id="refund-id">{refund.id}</code>
                {refund.reason ? <div className="muted small">{refund.reason}</div> : null}
              </td>
              {showPayment ? (
                <td>
                  <code data-test-id="payment-id">{refund.payment_id}</code>
                </td>
              ) : null}
              <td className="number" data-test-id="refund-amount">
                {formatPaise(refund.amount)}
              </td>
              <td>
                <StatusBadge status={refund.status} testId="refund-status" />
              </td>
              <td>{formatDateTime(refund.created_at)}</td>
              <td>{formatDateTime(refund.processed_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
