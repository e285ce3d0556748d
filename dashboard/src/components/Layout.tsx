import type { ReactNode } from "react";
import { useDashboard } from "../context";
import { Link } from "../router";
import { formatDateTime, timeZoneName } from "../time";

const NAV = [
  { to: "/dashboard", label: "Home" },
  { to: "/dashboard/transactions", label: "Transactions" },
  { to: "/dashboard/refunds", label: "Refunds" },
  { to: "/dashboard/balance", label: "Balance" },
  { to: "/dashboard/reports", label: "Reports" },
  { to: "/dashboard/disputes", label: "Disputes" },
  { to: "/dashboard/payment-links", label: "Payment links" },
  { to: "/dashboard/webhooks", label: "Webhooks" },
  { to: "/dashboard/docs", label: "Docs" },
];

export function Layout({ path, onSignOut, children }: { path: string; onSignOut: () => void; children: ReactNode }) {
  const { session, config } = useDashboard();
  const testMode = session.merchant.api_key.startsWith("key_test_");
  return (
    <div className="shell" data-test-id="dashboard">
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">◆</span> Gateway
          {testMode ? <span className="badge badge-wait test-mode">test mode</span> : null}
        </div>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <Link
              key={item.to}
              to={item.to}
              className={path === item.to ? "nav-link active" : "nav-link"}
              aria-current={path === item.to ? "page" : undefined}
              data-test-id={`nav-${item.label.toLowerCase().replace(/ /g, "-")}`}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="sidebar-foot">
          <div className="merchant-name" data-test-id="merchant-name">{session.merchant.name}</div>
          <div className="muted small">{session.merchant.email}</div>
          <div className="muted small" title={`Times are shown in ${timeZoneName()}`}>
            Session until {formatDateTime(session.expires_at)}
          </div>
          <div className="muted small" title="API base URL">{config.apiBase}</div>
          <button type="button" className="button button-small" onClick={onSignOut} data-test-id="logout-button">
            Sign out
          </button>
        </div>
      </aside>
      <main className="content">{children}</main>
    </div>
  );
}
