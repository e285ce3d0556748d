// Demo merchant page: the local runtime created the order server-side (with the API secret) and
// passed its id in the URL, as a merchant's server would.
(function () {
  var config = window.DEMO_CONFIG || {};
  var checkoutOrigin = config.checkoutOrigin || "http://127.0.0.1:3001";
  var script = document.createElement("script");
  script.src = checkoutOrigin + "/checkout.js";
  document.head.appendChild(script);
  var result = document.getElementById("result");
  document.getElementById("buy").addEventListener("click", function () {
    var orderId = new URLSearchParams(location.search).get("order_id");
    var open = function (id) {
      new window.PaymentGateway({
        key: config.key || "key_test_abc123",
        orderId: id,
        onSuccess: function (d) { result.textContent = "Paid: " + d.paymentId; },
        onFailure: function (e) { result.textContent = "Failed: " + e.error; },
        onClose: function () { result.textContent = "Checkout closed"; }
      }).open();
    };
    if (!orderId) { result.textContent = "Open /demo to get a fresh order."; return; }
    open(orderId);
  });
})();
