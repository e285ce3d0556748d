import { describe, expect, it } from "vitest";
import { lastUtcDays, niceCeiling, rateChart, rateSummary, shortDay, volumeChart, volumeSummary, windowTotals, type StatsDay } from "./charts";

function day(date: string, values: Partial<Omit<StatsDay, "by_method">> = {}, rates: { upi?: [number, number]; card?: [number, number] } = {}): StatsDay {
  const method = (counts: [number, number] | undefined) => {
    const [succeeded, failed] = counts ?? [0, 0];
    const final = succeeded + failed;
    return { count: final, succeeded, failed, success_rate: final ? Math.round((1000 * succeeded) / final) / 10 : null };
  };
  return { day: date, count: 0, gross: 0, fees: 0, tax: 0, refunds: 0, net: 0, ...values, by_method: { upi: method(rates.upi), card: method(rates.card) } };
}

const BOX = { width: 330, height: 120, left: 30, bottom: 10, top: 10 }; // a 300 x 100 plot: 100 px per slot of 3

describe("the window of the Home trends", () => {
  it("is the last 30 UTC days, today included, whatever the local zone says", () => {
    // 00:30 in India on 7 Dec is still 6 Dec in UTC.
    expect(lastUtcDays(new Date("2026-12-06T19:00:00Z"))).toEqual({ from: "2026-11-07T00:00:00.000Z", to: "2026-12-07T00:00:00.000Z" });
    expect(lastUtcDays(new Date("2026-03-01T00:00:00Z"), 1)).toEqual({ from: "2026-03-01T00:00:00.000Z", to: "2026-03-02T00:00:00.000Z" });
  });

  it("labels a day as the API's UTC day", () => {
    expect(shortDay("2026-12-06")).toBe("6 Dec");
    expect(shortDay("2027-01-01")).toBe("1 Jan");
  });
});

describe("the volume chart", () => {
  it("rounds its scale up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 10, 11, 260, 99_999, 1_250_050].map(niceCeiling)).toEqual([0, 1, 5, 10, 10, 20, 500, 100_000, 2_000_000]);
  });

  it("draws a gross and a net bar per day, heights in proportion, zeros flat", () => {
    const days = [day("2026-12-01", { gross: 100_000, net: 97_640 }), day("2026-12-02"), day("2026-12-03", { gross: 50_000, net: 48_820 })];
    const chart = volumeChart(days, BOX);
    expect(chart.gross.map((b) => b.value)).toEqual([100_000, 0, 50_000]);
    expect(chart.net.map((b) => b.value)).toEqual([97_640, 0, 48_820]);
    // Scale 0..₹1,000: the full plot (100 px) is 100000 paise.
    expect(chart.gross.map((b) => b.height)).toEqual([100, 0, 50]);
    expect(chart.net[0]!.height).toBeCloseTo(97.64, 5);
    expect(chart.gross.map((b) => b.y)).toEqual([10, 110, 60]);
    expect(chart.zeroY).toBe(110);
    // Each day's slot is 100 px; gross sits left of net within it.
    expect(chart.gross.map((b) => b.x)).toEqual([40, 140, 240]);
    expect(chart.net[0]!.x).toBeGreaterThan(chart.gross[0]!.x + chart.gross[0]!.width - 0.001);
    expect(chart.gross[0]!.label).toBe("1 Dec: gross ₹1,000.00");
    expect(chart.ticks.map((t) => t.label)).toEqual(["₹0", "₹500", "₹1,000"]);
  });

  it("reaches below zero when refunds outweigh a day's captures", () => {
    const chart = volumeChart([day("2026-12-01", { gross: 80_000, net: 78_000 }), day("2026-12-02", { refunds: 30_000, net: -30_000 })], BOX);
    // Scale -₹500..₹1,000: zero at two thirds of the plot.
    expect(chart.zeroY).toBeCloseTo(10 + (100 * 100_000) / 150_000, 5);
    const debit = chart.net[1]!;
    expect(debit.y).toBeCloseTo(chart.zeroY, 5); // a negative bar hangs from the zero line
    expect(debit.height).toBeCloseTo((100 * 30_000) / 150_000, 5);
    expect(chart.ticks.map((t) => t.value)).toEqual([-50_000, 0, 50_000, 100_000]);
  });

  it("is flat and labelled sensibly with no money at all", () => {
    const chart = volumeChart([day("2026-12-01"), day("2026-12-02")], BOX);
    expect(chart.gross.every((b) => b.height === 0 && Number.isFinite(b.y))).toBe(true);
    expect(volumeSummary([day("2026-12-01"), day("2026-12-02")])).toBe("Daily volume, 1 Dec to 2 Dec (UTC): gross ₹0.00, net ₹0.00");
  });

  it("speaks its totals and best day", () => {
    const days = [day("2026-12-01", { gross: 100_000, net: 97_640 }), day("2026-12-02", { gross: 250_000, net: 244_100 })];
    expect(volumeSummary(days)).toBe("Daily volume, 1 Dec to 2 Dec (UTC): gross ₹3,500.00, net ₹3,417.40; highest gross ₹2,500.00 on 2 Dec");
  });
});

describe("the success-rate chart", () => {
  it("has a point per day with finished attempts and breaks the line on the others", () => {
    const days = [
      day("2026-12-01", {}, { upi: [2, 1], card: [1, 0] }),
      day("2026-12-02"),
      day("2026-12-03", {}, { upi: [1, 0] }),
    ];
    const chart = rateChart(days, BOX);
    const [upi, card] = chart.lines;
    expect(upi!.points.map((p) => [p.day, p.rate])).toEqual([
      ["2026-12-01", 66.7],
      ["2026-12-03", 100],
    ]);
    expect(card!.points.map((p) => p.day)).toEqual(["2026-12-01"]);
    // 0 % at the bottom of the plot, 100 % at its top; the gap day starts a new segment.
    expect(upi!.points[1]!.y).toBe(10);
    expect(upi!.points[0]!.y).toBeCloseTo(10 + 33.3, 5);
    expect(upi!.path).toBe("M80.0,43.3M280.0,10.0");
    expect(upi!.points[0]!.label).toBe("1 Dec: UPI 66.7%");
  });

  it("joins consecutive days into one line", () => {
    const chart = rateChart([day("2026-12-01", {}, { card: [0, 2] }), day("2026-12-02", {}, { card: [1, 1] })], BOX);
    // Two days: 150 px slots, points at their middles.
    expect(chart.lines[1]!.path).toBe("M105.0,110.0L255.0,60.0");
  });

  it("speaks the window's rate per method, from the counts, not an average of daily rates", () => {
    const days = [day("2026-12-01", {}, { upi: [1, 0] }), day("2026-12-02", {}, { upi: [1, 2] })];
    expect(windowTotals(days).rates).toEqual({ upi: 50, card: null });
    expect(rateSummary(days)).toBe("Success rate by method, 1 Dec to 2 Dec (UTC): UPI 50.0%, Card no finished payments");
  });
});
