/** Money is integer paise end to end; rupees exist only as text on screen. */

const GROUPING = new Intl.NumberFormat("en-IN");
const SYMBOLS: Record<string, string> = { INR: "₹" };

export function formatPaise(paise: number, currency = "INR"): string {
  if (!Number.isSafeInteger(paise)) return "—";
  const sign = paise < 0 ? "-" : "";
  const absolute = Math.abs(paise);
  const rupees = GROUPING.format(BigInt(Math.trunc(absolute / 100)));
  const fraction = String(absolute % 100).padStart(2, "0");
  const symbol = SYMBOLS[currency] ?? `${currency} `;
  return `${sign}${symbol}${rupees}.${fraction}`;
}

/** "1,250.5" → 125050. No floating point: the text is split at the decimal point. */
export function parseRupees(text: string): { paise: number } | { error: string } {
  const cleaned = text.trim().replace(/^₹\s*/, "").replace(/,/g, "");
  if (!cleaned) return { error: "Enter an amount" };
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return { error: "Enter an amount in rupees with at most 2 decimals, e.g. 250.50" };
  const whole = match[1] ?? "0";
  const fraction = (match[2] ?? "").padEnd(2, "0");
  if (whole.length > 10) return { error: "Amount is too large" };
  return { paise: Number(whole) * 100 + Number(fraction) };
}

/** Client-side check before sending: the API re-checks under a row lock. */
export function validateRefund(text: string, refundablePaise: number): { paise: number } | { error: string } {
  const parsed = parseRupees(text);
  if ("error" in parsed) return parsed;
  if (parsed.paise <= 0) return { error: "Refund amount must be more than ₹0.00" };
  if (parsed.paise > refundablePaise) {
    return { error: `At most ${formatPaise(refundablePaise)} can be refunded` };
  }
  return parsed;
}

export function paiseToRupeesText(paise: number): string {
  return `${Math.trunc(paise / 100)}.${String(paise % 100).padStart(2, "0")}`;
}
