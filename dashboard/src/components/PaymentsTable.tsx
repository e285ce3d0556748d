import { useEffect } from "react";
import type { Payment } from "../api";
import { formatPaise } from "../money";
import { formatDateTime } from "../time";
import { StatusBadge } from "./StatusBadge";

export function methodLabel(payment: Payment): string {
  if (payment.method === "card") return `Card ${payment.card_network ?? ""} •••• ${payment.card_last4 ?? ""}`.replace(/\s+/g, " ");
  return `UPI ${payment.vpa ?? ""}`.trim();
}

export function PaymentsTable({
  payments,
  onOpen,
  selectedId,
  testId = "transactions-table",
  onRendered,
}: {
  payments: Payment[];
  onOpen: (paymentId: string) => void;
  selectedId?: string | null;
  testId?: string;
  onRendered?: () => void;
}) {
  useEffect(() => onRendered?.(), [onRendered, payments]);
  return (
    <div className="table-wrap">
      <table className="table" data-test-id={testId}>
        <thead>
          <tr>
            <th>Payment</th>
            <th>Order</th>
            <th className="number">Amount</th>
            <th>Method</th>
            <th>Status</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {payments.map((payment) => (
            <tr
              key={payment.id}
              data-test-id="transaction-row"
              data-payment-id={payment.id}
              className={payment.id === selectedId ? "selected clickable" : "clickable"}
              onClick={() => onOpen(payment.id)}
              onKeyDown={(e) => (e.key === "Enter" ? onOpen(payment.id) : undefined)}
              tabIndex={0}
            >
              <td>
                <code data-test-id="payment-id">{payment.id}</code>
              </td>
              <td>
                <code data-test-id="order-id">{payment.order_id}</code>
              </td>
              <td className="number" data-test-id="amount">
                {formatPaise(payment.amount, payment.currency)}
                {payment.amount_refunded ? <div className="muted small">−{formatPaise(payment.amount_refunded)} refunded</div> : null}
              </td>
              <td className="nowrap" data-test-id="method">{methodLabel(payment)}</td>
              <td>
                <StatusBadge status={payment.status} />
              </td>
              <td className="nowrap" data-test-id="created-at">{formatDateTime(payment.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
