// The dashboard's build: Preact + uPlot bundled into dist/dashboard, served by the control API
// (src/control/static.ts). Hashed file names under assets/ let the server cache them for good.
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  build: { outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)), emptyOutDir: true, assetsDir: 'assets', sourcemap: false },
});
