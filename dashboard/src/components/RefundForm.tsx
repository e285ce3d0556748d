import { useState, type FormEvent } from "react";
import { newIdempotencyKey, type Payment, type Refund } from "../api";
import { useDashboard } from "../context";
import { formatPaise, paiseToRupeesText, validateRefund } from "../money";
import { InlineError } from "./States";

/** Full or partial refund of one payment; the amount is checked before anything is sent. */
export function RefundForm({ payment, onCreated }: { payment: Payment; onCreated: (refund: Refund) => void }) {
  const { api } = useDashboard();
  const refundable = payment.amount - payment.amount_refunded;
  const [amount, setAmount] = useState(paiseToRupeesText(refundable));
  const [reason, setReason] = useState("");
  const [error, setError] = useState<Error | string | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per intended refund: a double click or a retry after a timeout cannot refund twice.
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);

  if (payment.status !== "success") {
    return <p className="muted" data-test-id="refund-unavailable">Only successful payments can be refunded.</p>;
  }
  if (refundable <= 0) {
    return <p className="muted" data-test-id="refund-unavailable">This payment is fully refunded.</p>;
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = validateRefund(amount, refundable);
    if ("error" in checked) {
      setError(checked.error);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = reason.trim() ? { amount: checked.paise, reason: reason.trim() } : { amount: checked.paise };
      const refund = await api.post<Refund>(`/api/v1/payments/${encodeURIComponent(payment.id)}/refunds`, body, idempotencyKey);
      setIdempotencyKey(newIdempotencyKey());
      onCreated(refund);
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };

  const edit = (value: string) => {
    setAmount(value);
    setError(null);
    setIdempotencyKey(newIdempotencyKey());
  };

  return (
    <form className="refund-form" onSubmit={(e) => void submit(e)} data-test-id="refund-form" noValidate>
      <p className="muted small">Refundable: {formatPaise(refundable, payment.currency)} of {formatPaise(payment.amount, payment.currency)}</p>
      <div className="row">
        <label className="grow">
          Amount (₹)
          <input inputMode="decimal" value={amount} onChange={(e) => edit(e.target.value)} data-test-id="refund-amount-input" aria-describedby="refund-hint" />
        </label>
        <button type="button" className="button button-small" onClick={() => edit(paiseToRupeesText(refundable))} data-test-id="refund-full-button">
          Full amount
        </button>
      </div>
      <label>
        Reason (optional)
        <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} data-test-id="refund-reason-input" />
      </label>
      <span id="refund-hint" className="muted small">
        Rupees, up to 2 decimals. Refunds settle asynchronously: pending → processed.
      </span>
      <InlineError error={error} />
      <button type="submit" className="button button-primary" disabled={busy} data-test-id="refund-submit-button">
        {busy ? "Refunding…" : "Refund"}
      </button>
    </form>
  );
}
