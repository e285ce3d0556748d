import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Static build for S3 + CloudFront (locally served on :3000 by devstack). The API base URL is not
// compiled in: /config.js (written by the host) sets window.GATEWAY_CONFIG at load time.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
