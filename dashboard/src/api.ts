/** The gateway API as the dashboard sees it: Bearer session, error envelope, typed replies. */

export interface Page<T> {
  data: T[];
  total: number;
  /** More than 10,000 rows match; `total` is then 10,000. */
  total_capped: boolean;
  limit: number;
  offset: number;
  has_more: boolean;
}

export type PaymentStatus = "pending" | "processing" | "success" | "failed";

export interface Payment {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  method: "upi" | "card";
  vpa?: string | null;
  card_network?: string | null;
  card_last4?: string | null;
  status: PaymentStatus;
  captured: boolean;
  amount_refunded: number;
  refund_status: "none" | "partial" | "full" | null;
  error_code: string | null;
  error_description: string | null;
  created_at: string;
  updated_at: string;
}

export interface Refund {
  id: string;
  payment_id: string;
  amount: number;
  reason: string | null;
  status: "pending" | "processed";
  created_at: string;
  processed_at: string | null;
}

export interface WebhookLog {
  id: string;
  event_id: string;
  event: string;
  payment_id: string | null;
  /** null: the merchant's default endpoint. */
  endpoint_id: string | null;
  status: "pending" | "success" | "failed" | "skipped";
  attempts: number;
  created_at: string;
  last_attempt_at: string | null;
  next_retry_at: string | null;
  response_code: number | null;
}

export interface WebhookAttempt {
  attempted_at: string;
  response_code: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
}

export interface WebhookLogDetail extends WebhookLog {
  payload: unknown;
  last_error: string | null;
  attempt_history: WebhookAttempt[];
}

export interface SessionMerchant {
  id: string;
  name: string;
  email: string;
  api_key: string;
}

export interface Session {
  token: string;
  token_type: "Bearer";
  expires_at: string;
  merchant: SessionMerchant;
}

export interface Stats {
  total_transactions: number;
  total_amount: number;
  success_rate: number;
}

export interface WebhookConfig {
  webhook_url: string | null;
  webhook_secret: string;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  enabled_events: string[];
  description: string | null;
  disabled: boolean;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  secret: string;
}

/** What an endpoint may subscribe to: a type, a family or `*` (the API checks the same list). */
export const EVENT_TYPES = [
  "payment.created",
  "payment.pending",
  "payment.success",
  "payment.failed",
  "refund.created",
  "refund.processed",
] as const;

export interface Credentials {
  api_key: string;
  /** The secret's last four characters: the secret itself is stored only as a hash. */
  api_secret_hint: string;
}

export interface NewApiSecret {
  api_key: string;
  api_secret: string;
}

export interface RetryReply {
  id: string;
  status: string;
  message: string;
}

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
