/*! Payment Gateway checkout SDK: opens the hosted checkout in a modal iframe. No dependencies. */
(function (root, factory) {
  "use strict";
  var api = factory(root);
  if (typeof module === "object" && module.exports) module.exports = api;
  if (root) root.PaymentGateway = api;
})(typeof window !== "undefined" ? window : undefined, function (win) {
  "use strict";

  // Where this script was loaded from is where the hosted checkout lives.
  var scriptOrigin = (function () {
    try {
      var current = win && win.document && win.document.currentScript;
      return current && current.src ? new URL(current.src).origin : null;
    } catch (e) {
      return null;
    }
  })();

  var FOCUSABLE = 'button, [href], iframe, input, select, textarea, [tabindex]:not([tabindex="-1"])';

  function PaymentGateway(options) {
    if (!(this instanceof PaymentGateway)) return new PaymentGateway(options);
    options = options || {};
    if (!options.key || typeof options.key !== "string") throw new Error("PaymentGateway: `key` is required");
    if (!options.orderId || typeof options.orderId !== "string") {
      throw new Error("PaymentGateway: `orderId` is required");
    }
    var origin = options.checkoutOrigin || scriptOrigin;
    if (!origin) throw new Error("PaymentGateway: cannot tell the checkout origin; pass `checkoutOrigin`");
    this.options = options;
    this.checkoutOrigin = new URL(origin).origin;
    this.modal = null;
    this.iframe = null;
    this._onMessage = this._onMessage.bind(this);
    this._onKeydown = this._onKeydown.bind(this);
    this._onFocusIn = this._onFocusIn.bind(this);
  }

  PaymentGateway.prototype.open = function () {
    if (this.modal) return;
    var doc = win.document;
    this._previousFocus = doc.activeElement;

    var modal = doc.createElement("div");
    modal.setAttribute("data-test-id", "payment-modal");
    modal.setAttribute("role", "dialog");
    modal.setAttribute("aria-modal", "true");
    modal.setAttribute("aria-label", "Payment");
    modal.style.cssText =
      "position:fixed;inset:0;z-index:2147483647;background:rgba(15,23,42,.6);display:flex;" +
      "align-items:center;justify-content:center;padding:12px;box-sizing:border-box";

    var frame = doc.createElement("div");
    frame.style.cssText =
      "position:relative;width:100%;max-width:440px;height:100%;max-height:640px;background:#fff;" +
      "border-radius:12px;overflow:hidden;box-shadow:0 20px 50px rgba(0,0,0,.3)";

    var close = doc.createElement("button");
    close.type = "button";
    close.setAttribute("data-test-id", "close-modal-button");
    close.setAttribute("aria-label", "Close payment");
    close.textContent = "\u00d7";
    close.style.cssText =
      "position:absolute;top:6px;right:8px;z-index:1;border:0;background:transparent;font-size:26px;" +
      "line-height:1;cursor:pointer;color:#334155";
    close.addEventListener("click", this.close.bind(this));

    var url = new URL("/checkout", this.checkoutOrigin);
    url.searchParams.set("order_id", this.options.orderId);
    url.searchParams.set("key", this.options.key);
    url.searchParams.set("embedded", "true");
    var iframe = doc.createElement("iframe");
    iframe.setAttribute("data-test-id", "payment-iframe");
    iframe.setAttribute("title", "Secure checkout");
    iframe.setAttribute("allow", "payment");
    iframe.src = url.toString();
    iframe.style.cssText = "border:0;width:100%;height:100%;display:block";

    // Tabbing past the checkout's last field lands here, still inside the modal: wrap to the start.
    var sentinel = doc.createElement("span");
    sentinel.tabIndex = 0;
    sentinel.addEventListener("focus", function () { close.focus(); });

    frame.appendChild(close);
    frame.appendChild(iframe);
    frame.appendChild(sentinel);
    modal.appendChild(frame);
    doc.body.appendChild(modal);
    this.modal = modal;
    this.iframe = iframe;
    win.addEventListener("message", this._onMessage);
    doc.addEventListener("keydown", this._onKeydown, true);
    doc.addEventListener("focusin", this._onFocusIn, true);
    this._closeButton = close;
    close.focus();
  };

  PaymentGateway.prototype.close = function () {
    this._teardown();
    if (typeof this.options.onClose === "function") this.options.onClose();
  };

  PaymentGateway.prototype._teardown = function () {
    if (!this.modal) return;
    win.removeEventListener("message", this._onMessage);
    win.document.removeEventListener("keydown", this._onKeydown, true);
    win.document.removeEventListener("focusin", this._onFocusIn, true);
    this.modal.parentNode && this.modal.parentNode.removeChild(this.modal);
    this.modal = null;
    this.iframe = null;
    if (this._previousFocus && this._previousFocus.focus) this._previousFocus.focus();
  };

  PaymentGateway.prototype._onMessage = function (event) {
    // Only the checkout we opened may speak: exact origin and our iframe's window.
    if (!this.iframe || event.origin !== this.checkoutOrigin || event.source !== this.iframe.contentWindow) return;
    var data = event.data || {};
    if (data.type === "payment_success") {
      this._teardown();
      if (typeof this.options.onSuccess === "function") {
        this.options.onSuccess({ paymentId: data.data && data.data.paymentId, orderId: this.options.orderId });
      }
    } else if (data.type === "payment_failed") {
      if (typeof this.options.onFailure === "function") {
        var details = data.data || {};
        this.options.onFailure({ error: details.error, errorCode: details.errorCode, paymentId: details.paymentId });
      }
    } else if (data.type === "close_modal") {
      this.close();
    }
  };

  // Tabbing out of the iframe lands on the page behind the modal: bring focus back.
  PaymentGateway.prototype._onFocusIn = function (event) {
    if (this.modal && !this.modal.contains(event.target)) this._closeButton.focus();
  };

  PaymentGateway.prototype._onKeydown = function (event) {
    if (!this.modal) return;
    if (event.key === "Escape") {
      event.preventDefault();
      this.close();
      return;
    }
    if (event.key !== "Tab") return;
    // Keep focus inside the modal.
    var items = this.modal.querySelectorAll(FOCUSABLE);
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    var active = win.document.activeElement;
    if (event.shiftKey && (active === first || !this.modal.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !this.modal.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  };

  return PaymentGateway;
});
