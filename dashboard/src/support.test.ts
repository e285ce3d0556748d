import { describe, expect, it } from "vitest";
import { errorFromResponse, queryString } from "./api";
import { ConfigError, readConfig } from "./config";
import { loadSession, saveSession } from "./session";
import { createOrderSnippet, sdkSnippet } from "./snippets";
import { localDayBoundary, relativeTo, timeLeft } from "./time";

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe("errors from the API", () => {
  it("reads the documented envelope and keeps the request id", () => {
    const error = errorFromResponse(400, '{"error":{"code":"BAD_REQUEST_ERROR","description":"Refund amount exceeds available amount"}}', "req-1");
    expect([error.status, error.code, error.message, error.requestId]).toEqual([400, "BAD_REQUEST_ERROR", "Refund amount exceeds available amount", "req-1"]);
  });
  it("reports a non-envelope answer as such", () => {
    expect(errorFromResponse(502, "<html>Bad gateway</html>", null).message).toBe("The API answered 502 without an error description");
  });
});

describe("queryString", () => {
  it("drops empty filters and encodes the rest", () => {
    expect(queryString({ limit: 25, status: "", search: undefined, from: "2026-11-23T00:00:00.000Z" })).toBe(
      "?limit=25&from=2026-11-23T00%3A00%3A00.000Z",
    );
    expect(queryString({})).toBe("");
  });
});

describe("config", () => {
  it("needs an http(s) API base and trims its trailing slash", () => {
    expect(readConfig({ apiBase: "http://127.0.0.1:8000/", checkoutOrigin: "http://127.0.0.1:3001" })).toEqual({
      apiBase: "http://127.0.0.1:8000",
      checkoutOrigin: "http://127.0.0.1:3001",
    });
    expect(() => readConfig(undefined)).toThrow(ConfigError);
    expect(() => readConfig({ apiBase: "ftp://x" })).toThrow(ConfigError);
    expect(() => readConfig({ apiBase: "not a url" })).toThrow(ConfigError);
  });
});

describe("session storage", () => {
  const session = (expires: string) => ({
    token: "t",
    token_type: "Bearer" as const,
    expires_at: expires,
    merchant: { id: "m", name: "M", email: "m@example.com", api_key: "key" },
  });
  it("returns a live session and drops an expired or corrupt one", () => {
    const storage = new MemoryStorage();
    saveSession(session("2026-11-23T12:00:00Z"), storage);
    expect(loadSession(storage, Date.parse("2026-11-23T11:59:00Z"))?.token).toBe("t");
    expect(loadSession(storage, Date.parse("2026-11-23T12:00:01Z"))).toBeNull();
    expect(storage.length).toBe(0);
    storage.setItem("gateway.session", "{not json");
    expect(loadSession(storage)).toBeNull();
  });
});

describe("time", () => {
  it("turns a date input into local day boundaries", () => {
    const start = new Date(localDayBoundary("2026-11-23", false) ?? "");
    const end = new Date(localDayBoundary("2026-11-23", true) ?? "");
    expect([start.getDate(), start.getHours(), start.getMinutes()]).toEqual([23, 0, 0]);
    expect([end.getDate(), end.getHours(), end.getMinutes(), end.getMilliseconds()]).toEqual([23, 23, 59, 999]);
    expect(localDayBoundary("", false)).toBeUndefined();
  });
  it("describes retry times relative to now", () => {
    const now = Date.parse("2026-11-23T12:00:00Z");
    expect(relativeTo("2026-11-23T12:05:00Z", now)).toBe("in 5m");
    expect(relativeTo("2026-11-23T11:59:30Z", now)).toBe("30s ago");
  });
  it("counts down to a deadline to the second, and says when it has passed", () => {
    const now = Date.parse("2026-11-23T12:00:00Z");
    expect(timeLeft("2026-11-30T12:00:00Z", now)).toBe("7d 00h 00m 00s");
    expect(timeLeft("2026-11-23T15:04:05.900Z", now)).toBe("3h 04m 05s");
    expect(timeLeft("2026-11-23T12:00:09Z", now)).toBe("00m 09s");
    expect(timeLeft("2026-11-23T12:00:00Z", now)).toBe("00m 00s");
    expect(timeLeft("2026-11-23T11:59:59Z", now)).toBeNull();
  });
});

describe("snippets", () => {
  it("carry the real API base and key but never a secret", () => {
    const order = createOrderSnippet("http://127.0.0.1:8000", "key_test_abc123");
    expect(order).toContain('"http://127.0.0.1:8000/api/v1/orders"');
    expect(order).toContain("X-Api-Key: key_test_abc123");
    expect(order).toContain("X-Api-Secret: $API_SECRET");
    expect(sdkSnippet("http://127.0.0.1:3001", "key_test_abc123")).toContain('<script src="http://127.0.0.1:3001/checkout.js"></script>');
  });
});
