import { useCallback, useEffect, useMemo, useState, type ComponentType } from "react";
import { ApiClient, type Session } from "./api";
import { ConfigError, readConfig, type GatewayConfig } from "./config";
import { Dashboard } from "./context";
import { Layout } from "./components/Layout";
import { LoginPage } from "./pages/LoginPage";
import { HomePage } from "./pages/HomePage";
import { TransactionsPage } from "./pages/TransactionsPage";
import { RefundsPage } from "./pages/RefundsPage";
import { BalancePage } from "./pages/BalancePage";
import { PaymentLinksPage } from "./pages/PaymentLinksPage";
import { ReportsPage } from "./pages/ReportsPage";
import { DisputesPage } from "./pages/DisputesPage";
import { WebhooksPage } from "./pages/WebhooksPage";
import { DocsPage } from "./pages/DocsPage";
import { navigate, useLocation } from "./router";
import { clearSession, loadSession, millisecondsLeft, saveSession } from "./session";

const PAGES: Record<string, ComponentType> = {
  "/dashboard": HomePage,
  "/dashboard/transactions": TransactionsPage,
  "/dashboard/refunds": RefundsPage,
  "/dashboard/balance": BalancePage,
  "/dashboard/reports": ReportsPage,
  "/dashboard/disputes": DisputesPage,
  "/dashboard/payment-links": PaymentLinksPage,
  "/dashboard/webhooks": WebhooksPage,
  "/dashboard/docs": DocsPage,
};

function loadConfig(): GatewayConfig | ConfigError {
  try {
    return readConfig(window.GATEWAY_CONFIG);
  } catch (error) {
    return error instanceof ConfigError ? error : new ConfigError(String(error));
  }
}

export type SignOutReason = "signed-out" | "expired";

export function App() {
  const config = useMemo(loadConfig, []);
  const location = useLocation();
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((reason: SignOutReason) => {
    clearSession();
    setSession(null);
    setNotice(reason === "expired" ? "Your session expired. Sign in again." : "You are signed out.");
    navigate("/login", { replace: true });
  }, []);

  const signIn = useCallback((next: Session) => {
    saveSession(next);
    setSession(next);
    setNotice(null);
    const target = new URLSearchParams(window.location.search).get("next");
    navigate(target && target.startsWith("/dashboard") ? target : "/dashboard", { replace: true });
  }, []);

  // Expiry is enforced here too, not only by the API's 401: an idle screen must not look signed in.
  useEffect(() => {
    if (!session) return;
    const timer = window.setTimeout(() => signOut("expired"), Math.max(0, millisecondsLeft(session)));
    return () => window.clearTimeout(timer);
  }, [session, signOut]);

  const api = useMemo(
    () => (config instanceof ConfigError ? null : new ApiClient(config.apiBase, session?.token ?? null, () => signOut("expired"))),
    [config, session, signOut],
  );

  if (config instanceof ConfigError || !api) {
    return (
      <main className="centered" data-test-id="config-error">
        <h1>Dashboard is not configured</h1>
        <p>{config instanceof ConfigError ? config.message : "No API"}</p>
      </main>
    );
  }

  const Page = PAGES[location.path];
  if (!session) {
    if (location.path.startsWith("/dashboard")) {
      return <Redirect to={`/login?next=${encodeURIComponent(location.path + window.location.search)}`} />;
    }
    if (location.path !== "/login") return <Redirect to="/login" />;
    return <LoginPage api={api} onSignedIn={signIn} notice={notice} />;
  }
  if (!Page) return <Redirect to="/dashboard" />; // signed in: /, /login or an unknown path

  return (
    <Dashboard.Provider value={{ api, session, config }}>
      <Layout path={location.path} onSignOut={() => signOut("signed-out")}>
        <Page />
      </Layout>
    </Dashboard.Provider>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
