// ES module entry: `import PaymentGateway from "https://<cdn>/checkout.mjs"`.
import "./checkout.js";

const Base = window.PaymentGateway;
const checkoutOrigin = new URL(import.meta.url).origin;

export default function PaymentGateway(options) {
  return new Base({ checkoutOrigin, ...options });
}
