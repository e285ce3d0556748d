/** The gateway API as the dashboard sees it: Bearer session, error envelope, typed replies.
 *
 * The reply types are the API's own OpenAPI document, generated into ./api-schema.ts by
 * `python scripts/dashboard_types.py` (tests/unit/test_dashboard_types.py fails when it is stale):
 * nothing here restates a field. */
import { eventTypeValues, testValues, type components } from "./api-schema";

type Schemas = components["schemas"];

/** Every list's envelope; `data` holds the list's objects (the document types it as plain objects). */
export type Page<T> = Omit<Schemas["Page"], "data"> & { data: T[] };

export type Payment = Schemas["Payment"];
export type PaymentStatus = Payment["status"];
export type Refund = Schemas["Refund"];
export type PaymentLink = Schemas["PaymentLink"];
export type WebhookLog = Schemas["WebhookLog"];
export type WebhookAttempt = Schemas["WebhookAttempt"];
export type WebhookLogDetail = Schemas["WebhookLogDetail"];
export type SessionMerchant = Schemas["SessionMerchant"];
export type Session = Schemas["Session"];
export type Stats = Schemas["MerchantStats"];
export type Balance = Schemas["Balance"];
export type BalanceTransaction = Schemas["BalanceTransaction"];
export type Settlement = Schemas["Settlement"];
export type Report = Schemas["Report"];
export type ReportType = Report["type"];
export type Dispute = Schemas["Dispute"];
export type DisputeStatus = Dispute["status"];
export type DisputeDocument = Schemas["DisputeDocument"];
export type DocumentContentType = Schemas["CreateDocumentRequest"]["content_type"];
export type WebhookConfig = Schemas["WebhookConfig"];
export type WebhookEndpoint = Schemas["WebhookEndpoint"];
export type WebhookEndpointWithSecret = Schemas["WebhookEndpointWithSecret"];
/** The key, and the secret's last four characters: the secret itself is stored only as a hash. */
export type Credentials = Schemas["ApiCredentials"];
export type NewApiSecret = Schemas["NewApiSecret"];
export type RetryReply = Schemas["WebhookRetryReply"];

export type EventType = Schemas["EventType"];
/** What an endpoint may subscribe to: a type, a family or `*` (the API checks the same list). */
export const EVENT_TYPES: readonly EventType[] = eventTypeValues;

export type TestValue = Schemas["TestValue"];
/** In test mode, the UPI addresses and card numbers that decide their payment's outcome (the API's table). */
export const TEST_VALUES: readonly TestValue[] = testValues;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined | null>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  idempotencyKey?: string;
}

/** The envelope is `{"error": {"code", "description"}}`; anything else is reported as it came. */
export function errorFromResponse(status: number, text: string, requestId: string | null): ApiError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; description?: unknown } };
    if (parsed.error && typeof parsed.error.description === "string") {
      return new ApiError(status, String(parsed.error.code ?? "ERROR"), parsed.error.description, requestId);
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(status, "HTTP_ERROR", `The API answered ${status} without an error description`, requestId);
}

export function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export class ApiClient {
  constructor(
    readonly base: string,
    private readonly token: string | null,
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, { query });
  }

  post<T>(path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    return this.request<T>("POST", path, { body, idempotencyKey });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { body });
  }

  delete(path: string): Promise<null> {
    return this.request<null>("DELETE", path);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}${queryString(options.query)}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "NETWORK_ERROR", `Cannot reach the API at ${this.base}`);
    }
    const text = await response.text();
    if (!response.ok) {
      const error = errorFromResponse(response.status, text, response.headers.get("X-Request-Id"));
      if (response.status === 401 && this.token) this.onUnauthorized();
      throw error;
    }
    return (text ? JSON.parse(text) : null) as T;
  }
}

export function newIdempotencyKey(): string {
  return `dash_${crypto.randomUUID()}`;
}
