import { useEffect, useState } from "react";
import type { Page, Payment, Refund, WebhookLog } from "../api";
import { useDashboard } from "../context";
import { pollWhile, useResource } from "../hooks";
import { formatPaise } from "../money";
import { formatDateTime } from "../time";
import { methodLabel } from "./PaymentsTable";
import { RefundCreated } from "./RefundCreated";
import { RefundForm } from "./RefundForm";
import { RefundsTable } from "./RefundsTable";
import { Empty, ErrorState, Loading } from "./States";
import { StatusBadge } from "./StatusBadge";
import { WebhookLogsTable } from "./WebhookLogsTable";

interface DetailData {
  payment: Payment;
  refunds: Refund[];
  webhooks: Page<WebhookLog>;
}

export function PaymentDetail({ paymentId, onClose }: { paymentId: string; onClose: () => void }) {
  const { api } = useDashboard();
  const [refunding, setRefunding] = useState(false);
  const [created, setCreated] = useState<Refund | null>(null);
  const id = encodeURIComponent(paymentId);
  useEffect(() => {
    const closeOnEscape = (event: KeyboardEvent) => (event.key === "Escape" ? onClose() : undefined);
    window.addEventListener("keydown", closeOnEscape);
    return () => window.removeEventListener("keydown", closeOnEscape);
  }, [onClose]);
  const detail = useResource<DetailData>(
    async () => {
      const [payment, refunds, webhooks] = await Promise.all([
        api.get<Payment>(`/api/v1/payments/${id}`),
        api.get<Page<Refund>>(`/api/v1/payments/${id}/refunds`),
        api.get<Page<WebhookLog>>("/api/v1/webhooks", { payment_id: paymentId, limit: 20 }),
      ]);
      return { payment, refunds: refunds.data, webhooks };
    },
    [api, paymentId],
    (data) =>
      pollWhile(
        data.payment.status === "pending" ||
          data.payment.status === "processing" ||
          data.refunds.some((r) => r.status === "pending") ||
          data.webhooks.data.some((w) => w.status === "pending"),
        1500,
        10_000,
      ),
  );

  return (
    <aside className="card detail" data-test-id="payment-detail" aria-label={`Payment ${paymentId}`}>
      <div className="card-head">
        <h2>Payment</h2>
        <button type="button" className="button button-small" onClick={onClose} aria-label="Close payment detail" data-test-id="close-detail">
          ✕
        </button>
      </div>
      {!detail.data ? (
        detail.error ? <ErrorState error={detail.error} onRetry={detail.reload} /> : <Loading />
      ) : (
        <>
          <dl className="facts">
            <dt>ID</dt>
            <dd>
              <code data-test-id="detail-payment-id">{detail.data.payment.id}</code>
            </dd>
            <dt>Order</dt>
            <dd>
              <code>{detail.data.payment.order_id}</code>
            </dd>
            <dt>Amount</dt>
            <dd data-test-id="detail-amount">{formatPaise(detail.data.payment.amount, detail.data.payment.currency)}</dd>
            <dt>Refunded</dt>
            <dd data-test-id="detail-refunded">{formatPaise(detail.data.payment.amount_refunded, detail.data.payment.currency)}</dd>
            <dt>Method</dt>
            <dd>{methodLabel(detail.data.payment)}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={detail.data.payment.status} testId="detail-status" />
              {detail.data.payment.error_description ? (
                <div className="inline-error small" data-test-id="detail-error">
                  {detail.data.payment.error_code}: {detail.data.payment.error_description}
                </div>
              ) : null}
            </dd>
            <dt>Created</dt>
            <dd>{formatDateTime(detail.data.payment.created_at)}</dd>
            <dt>Updated</dt>
            <dd>{formatDateTime(detail.data.payment.updated_at)}</dd>
          </dl>

          <div className="card-head">
            <h3>Refunds</h3>
            {!refunding ? (
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  setRefunding(true);
                  setCreated(null);
                }}
                disabled={detail.data.payment.status !== "success" || detail.data.payment.amount_refunded >= detail.data.payment.amount}
                data-test-id="refund-button"
              >
                Refund
              </button>
            ) : null}
          </div>
          {refunding ? (
            <RefundForm
              payment={detail.data.payment}
              onCreated={(refund) => {
                setCreated(refund);
                setRefunding(false);
                detail.reload();
              }}
            />
          ) : null}
          {created ? <RefundCreated refund={created} /> : null}
          {detail.data.refunds.length ? (
            <RefundsTable refunds={detail.data.refunds} testId="payment-refunds" showPayment={false} />
          ) : (
            <Empty title="No refunds" />
          )}

          <h3>Webhook events</h3>
          {detail.data.webhooks.data.length ? (
            <WebhookLogsTable logs={detail.data.webhooks.data} onChanged={detail.reload} />
          ) : (
            <Empty title="No webhook events">Events are recorded only while a webhook URL is configured.</Empty>
          )}
        </>
      )}
    </aside>
  );
}
