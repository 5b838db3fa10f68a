import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The backend serves the build at `/`, same origin as `/ws` and `/api`; in dev,
// Vite's server forwards those two to a backend on port 8000 (`make dev`).
const backend = process.env.LOOPSCOPE_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [svelte()],
  server: {
    proxy: {
      "/ws": {
        target: backend,
        ws: true,
        changeOrigin: true,
        // The backend accepts same-origin websockets only; through the proxy the page's
        // origin is Vite's, so present the backend's own origin instead.
        configure: (proxy) => {
          proxy.on("proxyReqWs", (request) => request.setHeader("origin", backend));
        },
      },
      "/api": { target: backend, changeOrigin: true },
    },
  },
  build: {
    outDir: "../backend/loopscope/static",
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: true,
  },
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "node",
  },
});
