import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the service at /console (same origin as the API: no CORS, the session cookie works).
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000, reportCompressedSize: true },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
