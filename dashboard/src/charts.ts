/** Chart geometry for the Home trends, as plain data: the SVG components only draw what this returns,
 * so every number on screen is computed (and unit-tested) here. Days are UTC days, as the API counts
 * them; money stays integer paise until it is text. */
import type { components } from "./api-schema";
import { formatPaise } from "./money";

export type StatsDay = components["schemas"]["StatsDay"];
export type Method = "upi" | "card";

export const TREND_DAYS = 30;
const DAY_MS = 86_400_000;

/** The last `days` UTC days, today included: [from, to) with `to` the next UTC midnight. */
export function lastUtcDays(now: Date, days = TREND_DAYS): { from: string; to: string } {
  const tomorrow = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return { from: new Date(tomorrow - days * DAY_MS).toISOString(), to: new Date(tomorrow).toISOString() };
}

/** The smallest 1, 2 or 5 × 10^n at or above `value` (0 for 0): a scale's top that reads well. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 0;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export interface Box {
  width: number;
  height: number;
  left: number; // room for the axis labels
  bottom: number; // room for the day labels
  top: number;
}

export const VOLUME_BOX: Box = { width: 720, height: 220, left: 64, bottom: 22, top: 8 };
export const RATE_BOX: Box = { width: 720, height: 180, left: 64, bottom: 22, top: 8 };

export interface Bar {
  day: string;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
}

export interface Tick {
  value: number;
  y: number;
  label: string;
}

export interface VolumeChart {
  gross: Bar[];
  net: Bar[];
  ticks: Tick[];
  zeroY: number;
  dayLabels: { x: number; label: string }[];
}

/** "2026-12-06" → "6 Dec" (UTC, whatever the viewer's zone: the day is the API's UTC day). */
export function shortDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return `${date.getUTCDate()} ${date.toLocaleString("en-GB", { month: "short", timeZone: "UTC" })}`;
}

function plotHeight(box: Box): number {
  return box.height - box.top - box.bottom;
}

function slotWidth(box: Box, count: number): number {
  return (box.width - box.left) / Math.max(count, 1);
}

/** Every `every`-th day gets a label under the axis, the last day always. */
function dayLabels(days: StatsDay[], box: Box, every = 7): { x: number; label: string }[] {
  const slot = slotWidth(box, days.length);
  return days
    .map((day, index) => ({ index, day }))
    .filter(({ index }) => (days.length - 1 - index) % every === 0)
    .map(({ index, day }) => ({ x: box.left + slot * (index + 0.5), label: shortDay(day.day) }));
}

/** Gross and net side by side per day, on one scale that reaches below zero when a day's net does
 * (refunds can outweigh a day's captures). */
export function volumeChart(days: StatsDay[], box: Box = VOLUME_BOX): VolumeChart {
  const top = niceCeiling(Math.max(0, ...days.map((d) => Math.max(d.gross, d.net))));
  const bottom = -niceCeiling(-Math.min(0, ...days.map((d) => d.net)));
  const span = top - bottom || 1;
  const height = plotHeight(box);
  const y = (value: number) => box.top + ((top - value) / span) * height;
  const slot = slotWidth(box, days.length);
  const barWidth = Math.max(1, slot * 0.38);
  const bar = (day: StatsDay, value: number, offset: number, name: string): Bar => {
    const from = y(Math.max(0, value));
    const to = y(Math.min(0, value));
    return {
      day: day.day,
      value,
      x: box.left + slot * offset,
      y: from,
      width: barWidth,
      height: Math.max(to - from, value === 0 ? 0 : 1),
      label: `${shortDay(day.day)}: ${name} ${formatPaise(value)}`,
    };
  };
  const ticks = [...new Set([bottom, 0, top / 2, top])]
    .filter((value) => value >= bottom && value <= top)
    .sort((a, b) => a - b)
    .map((value) => ({ value, y: y(value), label: formatPaise(value).replace(/\.00$/, "") }));
  return {
    gross: days.map((day, i) => bar(day, day.gross, i + 0.1, "gross")),
    net: days.map((day, i) => bar(day, day.net, i + 0.52, "net")),
    ticks,
    zeroY: y(0),
    dayLabels: dayLabels(days, box),
  };
}

export interface RatePoint {
  day: string;
  rate: number;
  x: number;
  y: number;
  label: string;
}

export interface RateLine {
  method: Method;
  points: RatePoint[];
  /** SVG path: a day without final attempts breaks the line (no rate is not a 0 % rate). */
  path: string;
}

export interface RateChart {
  lines: RateLine[];
  ticks: Tick[];
  dayLabels: { x: number; label: string }[];
}

export const METHOD_NAMES: Record<Method, string> = { upi: "UPI", card: "Card" };

export function rateChart(days: StatsDay[], box: Box = RATE_BOX): RateChart {
  const height = plotHeight(box);
  const slot = slotWidth(box, days.length);
  const y = (rate: number) => box.top + ((100 - rate) / 100) * height;
  const lines = (["upi", "card"] as const).map((method): RateLine => {
    const points: RatePoint[] = [];
    let path = "";
    let drawing = false;
    days.forEach((day, index) => {
      const rate = day.by_method[method].success_rate;
      if (rate === null) {
        drawing = false;
        return;
      }
      const point = {
        day: day.day,
        rate,
        x: box.left + slot * (index + 0.5),
        y: y(rate),
        label: `${shortDay(day.day)}: ${METHOD_NAMES[method]} ${rate.toFixed(1)}%`,
      };
      points.push(point);
      path += `${drawing ? "L" : "M"}${point.x.toFixed(1)},${point.y.toFixed(1)}`;
      drawing = true;
    });
    return { method, points, path };
  });
  const ticks = [0, 50, 100].map((value) => ({ value, y: y(value), label: `${value}%` }));
  return { lines, ticks, dayLabels: dayLabels(days, box) };
}

/** Totals over the window's days, for the charts' text alternative. */
export function windowTotals(days: StatsDay[]): { count: number; gross: number; net: number; rates: Record<Method, number | null> } {
  const rate = (method: Method): number | null => {
    const succeeded = days.reduce((sum, d) => sum + d.by_method[method].succeeded, 0);
    const final = succeeded + days.reduce((sum, d) => sum + d.by_method[method].failed, 0);
    return final ? Math.round((1000 * succeeded) / final) / 10 : null;
  };
  return {
    count: days.reduce((sum, d) => sum + d.count, 0),
    gross: days.reduce((sum, d) => sum + d.gross, 0),
    net: days.reduce((sum, d) => sum + d.net, 0),
    rates: { upi: rate("upi"), card: rate("card") },
  };
}

/** What a screen reader hears for the volume chart: the window, its totals and its best day. */
export function volumeSummary(days: StatsDay[]): string {
  if (!days.length) return "No days to show";
  const totals = windowTotals(days);
  const best = days.reduce((top, day) => (day.gross > top.gross ? day : top), days[0]!);
  const span = `${shortDay(days[0]!.day)} to ${shortDay(days.at(-1)!.day)} (UTC)`;
  const peak = best.gross > 0 ? `; highest gross ${formatPaise(best.gross)} on ${shortDay(best.day)}` : "";
  return `Daily volume, ${span}: gross ${formatPaise(totals.gross)}, net ${formatPaise(totals.net)}${peak}`;
}

export function rateSummary(days: StatsDay[]): string {
  if (!days.length) return "No days to show";
  const { rates } = windowTotals(days);
  const text = (["upi", "card"] as const)
    .map((m) => `${METHOD_NAMES[m]} ${rates[m] === null ? "no finished payments" : `${rates[m]!.toFixed(1)}%`}`)
    .join(", ");
  return `Success rate by method, ${shortDay(days[0]!.day)} to ${shortDay(days.at(-1)!.day)} (UTC): ${text}`;
}
