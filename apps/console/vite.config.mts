import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The built console must never reach beyond the API that serves it: the browser enforces it with this policy.
// Build only: the dev server's React refresh preamble is an inline script.
const CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
  "script-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'";

const csp: Plugin = {
  name: 'console-csp',
  apply: 'build',
  transformIndexHtml: (html) =>
    html.replace(
      /(<meta charset="UTF-8" \/>)/,
      `$1\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />`,
    ),
};

// In development the admin API runs elsewhere (API_PORT defaults to 8080): proxy it so calls stay same-origin.
const api = { '/admin': process.env.CONSOLE_API_URL ?? 'http://127.0.0.1:8080' };

export default defineConfig({
  root: here('.'),
  base: '/console/',
  plugins: [react(), csp],
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    sourcemap: false,
  },
  server: { host: '127.0.0.1', proxy: api },
  preview: { host: '127.0.0.1', proxy: api },
});
