/** Code shown on the Docs page. Built from the real API base, checkout origin and API key; the
 * e2e tests run the order snippet and the verification snippet against the live stack. */

export function createOrderSnippet(apiBase: string, apiKey: string): string {
  return `# On your server. API_SECRET comes from your secret store, never from a browser.
curl -sS -X POST "${apiBase}/api/v1/orders" \\
  -H "X-Api-Key: ${apiKey}" \\
  -H "X-Api-Secret: $API_SECRET" \\
  -H "Content-Type: application/json" \\
  -H "Idempotency-Key: order-r1001" \\
  -d '{"amount": 50000, "currency": "INR", "receipt": "r1001"}'
# → 201 {"id": "order_…", "amount": 50000, "status": "created", …}   amount is in paise (₹500.00)`;
}

export function sdkSnippet(checkoutOrigin: string, apiKey: string): string {
  return `<script src="${checkoutOrigin}/checkout.js"></script>
<button id="pay">Pay ₹500.00</button>
<script>
  document.getElementById("pay").addEventListener("click", function () {
    new PaymentGateway({
      key: "${apiKey}",            // the public key only
      orderId: "order_…",          // created on your server (above)
      onSuccess: function (result) {
        // result.paymentId, result.orderId: confirm on your server (GET /api/v1/payments/{id}) or by webhook
      },
      onFailure: function (error) { console.warn(error.error, error.errorCode); },
      onClose: function () {}
    }).open();
  });
</script>`;
}

export const WEBHOOK_VERIFY_SNIPPET = `# Python 3, standard library only. Headers follow Standard Webhooks
# (webhook-id, webhook-timestamp, webhook-signature); pass them with lower-case names.
import base64, hashlib, hmac, time

WEBHOOK_SECRET = "whsec_…"  # Dashboard → Webhooks → Signing secret


def verify_webhook(body: bytes, headers: dict, secret: str = WEBHOOK_SECRET, tolerance: int = 300) -> bool:
    """True when the raw body was signed with your secret less than 5 minutes ago."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False  # too old (or from the future): a replay
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, candidate.partition(",")[2])
        for candidate in headers["webhook-signature"].split()
    )

# In your handler: verify the raw bytes before parsing, answer 2xx quickly, and dedupe on
# json.loads(body)["id"]: a retried delivery carries the same event id.`;
