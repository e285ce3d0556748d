import { createContext, useContext } from "react";
import type { ApiClient, Session } from "./api";
import type { GatewayConfig } from "./config";

export interface DashboardContext {
  api: ApiClient;
  session: Session;
  config: GatewayConfig;
}

export const Dashboard = createContext<DashboardContext | null>(null);

export function useDashboard(): DashboardContext {
  const value = useContext(Dashboard);
  if (!value) throw new Error("useDashboard outside a signed-in page");
  return value;
}
