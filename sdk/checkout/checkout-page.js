/* The hosted checkout: order summary, UPI and card forms, processing, success and error states.
   Card details go only to the gateway's API, never to the merchant's page. */
(function () {
  "use strict";
  var API = (window.GATEWAY_CONFIG && window.GATEWAY_CONFIG.apiBase) || "";
  var params = new URLSearchParams(window.location.search);
  var orderId = params.get("order_id") || "";
  var key = params.get("key") || "";
  // A payment link's short_url (/l/{id}): the link names the order and the merchant's key.
  var linkMatch = /^\/l\/([A-Za-z0-9_]{1,64})\/?$/.exec(window.location.pathname);
  var linkId = linkMatch ? linkMatch[1] : "";
  var link = null;
  var embedded = params.get("embedded") === "true";
  var method = "upi";
  var payment = null;

  function $(testId) { return document.querySelector('[data-test-id="' + testId + '"]'); }
  function show(testId, visible) { $(testId).hidden = !visible; }

  // The merchant page that embeds us: messages go to exactly that origin, never "*".
  var parentOrigin = (function () {
    if (!embedded || window.parent === window) return null;
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      return window.location.ancestorOrigins[0];
    }
    try { return document.referrer ? new URL(document.referrer).origin : null; } catch (e) { return null; }
  })();

  function notify(type, data) {
    if (parentOrigin) window.parent.postMessage({ type: type, data: data }, parentOrigin);
  }

  function rupees(paise) {
    return "\u20b9" + (paise / 100).toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  // "1,234.5" -> 123450 paise, without floating point; null if it is not an amount.
  function toPaise(text) {
    var found = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(text.replace(/,/g, ""));
    if (!found) return null;
    return parseInt(found[1], 10) * 100 + parseInt(((found[2] || "") + "00").slice(0, 2), 10);
  }

  function api(path, options) {
    options = options || {};
    var headers = key ? { "X-Api-Key": key } : {};
    if (options.body) headers["Content-Type"] = "application/json";
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    return fetch(API + path, { method: options.method || "GET", headers: headers, body: options.body })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            var error = (body && body.error) || {};
            var failure = new Error(error.description || "Request failed (" + response.status + ")");
            failure.code = error.code || "NETWORK_ERROR";
            throw failure;
          }
          return body;
        });
      });
  }

  function setState(state) {
    show("processing-state", state === "processing");
    show("success-state", state === "success");
    show("error-state", state === "error");
    document.getElementById("pay-section").hidden = state !== "form";
  }

  function fail(message, code) {
    $("error-message").textContent = message;
    setState("error");
    notify("payment_failed", { error: message, errorCode: code, paymentId: payment && payment.id });
  }

  function selectMethod(next) {
    method = next;
    ["upi", "card"].forEach(function (name) {
      $("method-" + name).setAttribute("aria-selected", String(name === next));
      $(name + "-form").hidden = name !== next;
    });
    showValidation(null);
  }

  // --- validation (the API validates again) ------------------------------------------------
  function luhn(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var value = +digits[digits.length - 1 - i];
      if (i % 2 === 1) { value *= 2; if (value > 9) value -= 9; }
      sum += value;
    }
    return sum % 10 === 0;
  }

  function validateUpi() {
    var vpa = $("vpa-input").value.trim();
    if (!/^[a-zA-Z0-9._-]+@[a-zA-Z0-9]+$/.test(vpa)) return { field: "vpa-input", message: "Enter a valid UPI ID, like name@bank" };
    return { body: { method: "upi", vpa: vpa } };
  }

  function validateCard() {
    var number = $("card-number-input").value.replace(/[\s-]/g, "");
    if (!/^\d{13,19}$/.test(number) || !luhn(number)) return { field: "card-number-input", message: "Enter a valid card number" };
    var expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec($("expiry-input").value);
    if (!expiry) return { field: "expiry-input", message: "Enter the expiry as MM/YY" };
    var month = +expiry[1], year = +expiry[2];
    if (year < 100) year += 2000;
    var now = new Date();
    if (month < 1 || month > 12) return { field: "expiry-input", message: "Enter a valid expiry month" };
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
      return { field: "expiry-input", message: "This card has expired" };
    }
    var cvv = $("cvv-input").value.trim();
    if (!/^\d{3,4}$/.test(cvv)) return { field: "cvv-input", message: "Enter the 3 or 4 digit CVV" };
    return {
      body: {
        method: "card",
        card: { number: number, expiry_month: String(month), expiry_year: String(year), cvv: cvv,
                holder_name: $("cardholder-name-input").value.trim() || null }
      }
    };
  }

  function showValidation(result) {
    document.querySelectorAll("input[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
    var box = $("validation-error");
    if (!result) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = result.message;
    box.hidden = false;
    var field = $(result.field);
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  // --- paying ----------------------------------------------------------------------------------
  function pay() {
    var result = method === "upi" ? validateUpi() : validateCard();
    if (!result.body) { showValidation(result); return; }
    if (link && link.accept_partial) {
      var amount = toPaise($("partial-amount-input").value);
      var least = link.first_min_partial_amount || 100;
      if (amount === null || amount < Math.min(least, link.amount_due) || amount > link.amount_due) {
        showValidation({ field: "partial-amount-input",
          message: "Enter between " + rupees(Math.min(least, link.amount_due)) + " and " + rupees(link.amount_due) });
        return;
      }
      result.body.amount = amount;
    }
    showValidation(null);
    result.body.order_id = orderId;
    $("pay-button").disabled = true;
    setState("processing");
    var idempotencyKey = "chk_" + Date.now().toString(36) + Math.random().toString(36).slice(2);
    api("/api/v1/payments/public", { method: "POST", body: JSON.stringify(result.body), idempotencyKey: idempotencyKey })
      .then(function (created) { payment = created; poll(Date.now()); })
      .catch(function (error) { fail(error.message, error.code); })
      .then(function () { $("pay-button").disabled = false; });
  }

  function poll(started) {
    api("/api/v1/payments/" + encodeURIComponent(payment.id) + "/public")
      .then(function (current) {
        if (current.status === "success") {
          $("payment-id").textContent = current.id;
          setState("success");
          notify("payment_success", { paymentId: current.id });
          if (link && link.has_callback) backToMerchant(current.id);
        } else if (current.status === "failed") {
          fail("Payment failed. Please try again or use another method.", "PAYMENT_FAILED");
        } else if (Date.now() - started > 120000) {
          fail("This is taking longer than expected. We will update the merchant when it completes.", "TIMEOUT");
        } else {
          setTimeout(function () { poll(started); }, 1000);
        }
      })
      .catch(function (error) { fail(error.message, error.code); });
  }

  // The link's callback_url, signed by the gateway for this payment: the shopper goes back to the merchant.
  function backToMerchant(paymentId) {
    api("/api/v1/payment_links/" + encodeURIComponent(linkId) + "/public?payment_id=" + encodeURIComponent(paymentId))
      .then(function (view) { if (view.callback_url) window.location.assign(view.callback_url); })
      .catch(function () { /* the payment succeeded; the page says so */ });
  }

  function showLink(view) {
    link = view;
    key = view.key;
    orderId = view.order_id;
    $("order-amount").textContent = rupees(view.amount);
    $("order-id").textContent = view.id;
    $("order-id").parentNode.firstChild.textContent = "Payment link ";
    document.getElementById("merchant-name").textContent = "Pay " + view.merchant_name;
    if (view.description) { $("link-description").textContent = view.description; show("link-description", true); }
    if (view.amount_paid) {
      $("link-progress").textContent = rupees(view.amount_paid) + " paid, " + rupees(view.amount_due) + " due";
      show("link-progress", true);
    }
    if (view.status !== "created" && view.status !== "partially_paid") {
      fail("This payment link is " + view.status.replace("_", " ") + ".", "PAYMENT_LINK_NOT_PAYABLE");
      return;
    }
    if (view.amount_due <= 0) { fail("Payments on this link are being processed. Try again shortly.", "BAD_REQUEST_ERROR"); return; }
    if (view.accept_partial) {
      $("partial-amount-input").value = (view.amount_due / 100).toFixed(2);
      show("partial-amount", true);
      $("pay-button").textContent = "Pay";
    } else {
      $("pay-button").textContent = "Pay " + rupees(view.amount_due);
    }
    setState("form");
  }

  function start() {
    $("method-upi").addEventListener("click", function () { selectMethod("upi"); });
    $("method-card").addEventListener("click", function () { selectMethod("card"); });
    $("pay-button").addEventListener("click", pay);
    ["upi-form", "card-form"].forEach(function (id) {
      document.getElementById(id).addEventListener("submit", function (event) { event.preventDefault(); pay(); });
    });
    $("retry-button").addEventListener("click", function () { payment = null; setState("form"); });
    if (linkId) {
      api("/api/v1/payment_links/" + encodeURIComponent(linkId) + "/public")
        .then(showLink)
        .catch(function (error) { fail(error.message, error.code); });
      return;
    }
    if (!orderId || !key) { fail("This checkout link is missing its order or key.", "BAD_REQUEST_ERROR"); return; }
    api("/api/v1/orders/" + encodeURIComponent(orderId) + "/public")
      .then(function (order) {
        $("order-amount").textContent = rupees(order.amount);
        $("order-id").textContent = order.id;
        document.getElementById("merchant-name").textContent = "Pay " + order.merchant_name;
        $("pay-button").textContent = "Pay " + rupees(order.amount);
        if (order.status === "paid") { fail("This order is already paid.", "BAD_REQUEST_ERROR"); return; }
        setState("form");
      })
      .catch(function (error) { fail(error.message, error.code); });
  }

  start();
})();
