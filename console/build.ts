import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

// Builds the web console (console/src) into dist/console: one script and one style sheet, named by
// their content hash so that the server may let browsers keep them, and index.html naming them.
// Everything comes from node_modules: nothing is fetched at build or run time. `npm run build` runs it.

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'console');

async function main(): Promise<void> {
  const started = Date.now();
  const result = await build({
    entryPoints: [path.join(__dirname, 'src', 'main.tsx')],
    bundle: true, minify: true, sourcemap: true, write: false, outdir: out,
    format: 'esm', target: ['es2022'], jsx: 'automatic', jsxImportSource: 'preact',
    entryNames: 'app-[hash]', legalComments: 'eof', logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const names: Record<string, string> = {};
  for (const file of result.outputFiles) {
    fs.writeFileSync(file.path, file.contents);
    const name = path.basename(file.path);
    if (name.endsWith('.js')) names.js = name;
    if (name.endsWith('.css')) names.css = name;
  }
  if (!names.js || !names.css) throw new Error(`esbuild wrote no script or style sheet: ${Object.keys(names).join()}`);
  const html = fs.readFileSync(path.join(__dirname, 'index.html'), 'utf8')
    .replace('%SCRIPT%', names.js).replace('%STYLE%', names.css);
  fs.writeFileSync(path.join(out, 'index.html'), html);
  const bytes = [names.js, names.css].map((n) => fs.statSync(path.join(out, n)).size);
  const hash = createHash('sha1').update(html).digest('hex').slice(0, 8);
  console.log(`console: dist/console/${names.js} ${bytes[0]} B, ${names.css} ${bytes[1]} B, index.html ${hash}, `
    + `${Date.now() - started} ms`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
