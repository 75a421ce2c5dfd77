import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
// In `vite dev` the API lives elsewhere (the Waymark server, default port 3000).
const api = process.env.WAYMARK_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root,
  base: '/',
  plugins: [svelte()],
  build: { outDir: `${root}dist`, emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': { target: api, ws: true } } },
});
