/** Where the API and the checkout live: configuration written by the host, never compiled in. */
export interface GatewayConfig {
  apiBase: string;
  checkoutOrigin: string;
}

declare global {
  interface Window {
    GATEWAY_CONFIG?: Partial<GatewayConfig>;
  }
}

export class ConfigError extends Error {}

export function readConfig(source: Partial<GatewayConfig> | undefined): GatewayConfig {
  if (!source || typeof source.apiBase !== "string" || !source.apiBase) {
    throw new ConfigError("window.GATEWAY_CONFIG.apiBase is not set: /config.js is missing or incomplete.");
  }
  let api: URL;
  try {
    api = new URL(source.apiBase);
  } catch {
    throw new ConfigError(`GATEWAY_CONFIG.apiBase is not a URL: ${source.apiBase}`);
  }
  if (api.protocol !== "http:" && api.protocol !== "https:") {
    throw new ConfigError(`GATEWAY_CONFIG.apiBase must be http(s): ${source.apiBase}`);
  }
  return {
    apiBase: source.apiBase.replace(/\/+$/, ""),
    checkoutOrigin: (source.checkoutOrigin ?? "").replace(/\/+$/, ""),
  };
}
