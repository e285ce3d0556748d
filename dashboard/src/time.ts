/** Times are stored in UTC and shown in the operator's own time zone. */

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "—" : DATE_TIME.format(date);
}

export function timeZoneName(): string {
  return ZONE;
}

/** A date input's "YYYY-MM-DD" as the start (or end) of that day in the local zone, as ISO 8601 UTC. */
export function localDayBoundary(day: string, end: boolean): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const [year, month, date] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const boundary = end ? new Date(year, month, date, 23, 59, 59, 999) : new Date(year, month, date);
  return boundary.toISOString();
}

export function relativeTo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Number.isNaN(seconds)) return "";
  const magnitude = Math.abs(seconds);
  const text =
    magnitude < 60 ? `${magnitude}s` : magnitude < 3600 ? `${Math.round(magnitude / 60)}m` : `${Math.round(magnitude / 3600)}h`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** What is left until a deadline, to the second: "2d 03h 04m 05s", "04m 05s"; null once it has passed. */
export function timeLeft(iso: string, now: number): string | null {
  const seconds = Math.floor((new Date(iso).getTime() - now) / 1000);
  if (Number.isNaN(seconds) || seconds < 0) return null;
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  const clock = `${pad(minutes)}m ${pad(seconds % 60)}s`;
  return days > 0 ? `${days}d ${pad(hours)}h ${clock}` : hours > 0 ? `${hours}h ${clock}` : clock;
}
