import type { Refund } from "../api";
import { formatPaise } from "../money";

export function RefundCreated({ refund }: { refund: Refund }) {
  return (
    <p className="notice" role="status" data-test-id="refund-created">
      Refund <code>{refund.id}</code> of {formatPaise(refund.amount)} created; it settles in the background.
    </p>
  );
}
