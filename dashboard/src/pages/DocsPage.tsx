import { EVENT_TYPES, TEST_VALUES } from "../api";
import { CopyButton } from "../components/CopyButton";
import { useDashboard } from "../context";
import { createOrderSnippet, sdkSnippet, WEBHOOK_VERIFY_SNIPPET } from "../snippets";

export function DocsPage() {
  const { config, session } = useDashboard();
  const key = session.merchant.api_key;
  const checkout = config.checkoutOrigin || "https://checkout.example.com";
  return (
    <div data-test-id="api-docs">
      <header className="page-head">
        <h1>Integration guide</h1>
        <a href={`${config.apiBase}/api/v1/docs`} target="_blank" rel="noreferrer">
          Full API reference (OpenAPI) ↗
        </a>
      </header>
      <Snippet
        id="create-order"
        title="1. Create an order on your server"
        text={createOrderSnippet(config.apiBase, key)}
        intro="Every payment belongs to an order. Amounts are integers in paise. Send an Idempotency-Key so a retried request never creates a second order."
      />
      <Snippet
        id="sdk"
        sectionId="sdk-integration"
        title="2. Open the checkout on your page"
        text={sdkSnippet(checkout, key)}
        intro="checkout.js opens the hosted checkout in a modal. Card data goes straight to the gateway; your page only learns the outcome."
      />
      <Snippet
        id="webhook"
        sectionId="webhook-verification"
        title="3. Verify webhooks"
        text={WEBHOOK_VERIFY_SNIPPET}
        intro={`Events: ${EVENT_TYPES.join(", ")}. Each delivery is signed; reject anything that does not verify.`}
      />
      <TestValues />
    </div>
  );
}

function TestValues() {
  return (
    <section className="card" data-test-id="section-test-values">
      <div className="card-head">
        <h2>4. Test values</h2>
      </div>
      <p className="muted">
        In test mode these decide a payment's outcome, whatever the stack's default (cards: any future expiry, any CVV). The code and
        description reach the payment, its payment.failed webhook and the payment's detail here. Outside test mode they are ordinary
        values.
      </p>
      <table className="table" data-test-id="test-values-table">
        <thead>
          <tr>
            <th>Method</th>
            <th>Value</th>
            <th>Status</th>
            <th>Error code</th>
            <th>Description</th>
          </tr>
        </thead>
        <tbody>
          {TEST_VALUES.map((value) => (
            <tr key={value.value} data-test-id="test-value-row">
              <td>{value.method === "upi" ? "UPI" : "Card"}</td>
              <td>
                <code data-test-id="test-value">{value.value}</code>
              </td>
              <td data-test-id="test-value-status">{value.status}</td>
              <td data-test-id="test-value-code">{value.error_code ?? "—"}</td>
              <td>{value.error_description ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Snippet({ id, sectionId, title, text, intro }: { id: string; sectionId?: string; title: string; text: string; intro: string }) {
  return (
    <section className="card" data-test-id={`section-${sectionId ?? id}`}>
      <div className="card-head">
        <h2>{title}</h2>
        <CopyButton text={text} testId={`copy-${id}`} />
      </div>
      <p className="muted">{intro}</p>
      <pre className="code" data-test-id={`code-snippet-${id}`}>
        {text}
      </pre>
    </section>
  );
}
