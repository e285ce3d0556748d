import { describe, expect, it } from "vitest";
import { formatPaise, paiseToRupeesText, parseRupees, validateRefund } from "./money";

describe("formatPaise", () => {
  it("shows integer paise as rupees with Indian grouping, without float drift", () => {
    expect(formatPaise(50_000)).toBe("₹500.00");
    expect(formatPaise(1)).toBe("₹0.01");
    expect(formatPaise(123_456_789)).toBe("₹12,34,567.89");
    expect(formatPaise(1_000_000_000_000)).toBe("₹10,00,00,00,000.00");
    expect(formatPaise(29)).toBe("₹0.29");
  });
  it("labels other currencies and refuses non-integers", () => {
    expect(formatPaise(150, "USD")).toBe("USD 1.50");
    expect(formatPaise(1.5)).toBe("—");
  });
});

describe("parseRupees", () => {
  it.each([
    ["250", 25_000],
    ["250.5", 25_050],
    ["250.05", 25_005],
    ["₹1,250.50", 125_050],
    [" 0.29 ", 29],
    ["0.1", 10],
  ])("%s → %i paise", (text, paise) => {
    expect(parseRupees(text)).toEqual({ paise });
  });
  it.each(["", "abc", "1.234", "-5", "1e3", "1..2", "12345678901"])("rejects %j", (text) => {
    expect(parseRupees(text)).toHaveProperty("error");
  });
});

describe("validateRefund", () => {
  it("accepts partial and full amounts up to what is refundable", () => {
    expect(validateRefund("100", 50_000)).toEqual({ paise: 10_000 });
    expect(validateRefund("500.00", 50_000)).toEqual({ paise: 50_000 });
  });
  it("rejects zero and more than refundable before anything is sent", () => {
    expect(validateRefund("0", 50_000)).toEqual({ error: "Refund amount must be more than ₹0.00" });
    expect(validateRefund("500.01", 50_000)).toEqual({ error: "At most ₹500.00 can be refunded" });
  });
  it("round-trips the prefilled full amount", () => {
    expect(paiseToRupeesText(50_005)).toBe("500.05");
    expect(validateRefund(paiseToRupeesText(50_005), 50_005)).toEqual({ paise: 50_005 });
  });
});
