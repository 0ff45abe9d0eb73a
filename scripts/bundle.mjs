// Bundles the compiled CLI (dist/cli/main.js) and its dependencies into one file,
// dist/stevedore.cjs, which bin/stevedore.js loads. One file instead of some 600 modules
// saves about half a second on every `stevedore run`: Node 20 loads ES modules file by file
// and keeps no compile cache. Run by `npm run build` after tsc.

import { build } from 'esbuild';

/**
 * dockerode loads gRPC and a protobuf loader at start-up for BuildKit sessions, which
 * stevedore never opens. These modules are loaded on first use instead, from node_modules:
 * about 60 ms off every run. Only modules that are not touched while loading belong here.
 */
const LOADED_ON_FIRST_USE = ['@grpc/grpc-js', '@grpc/proto-loader'];

const loadOnFirstUse = {
  name: 'load-on-first-use',
  setup(bundler) {
    const filter = new RegExp(`^(${LOADED_ON_FIRST_USE.join('|').replaceAll('/', '\\/')})$`);

    bundler.onResolve({ filter }, (args) =>
      args.namespace === 'first-use'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'first-use' },
    );
    bundler.onLoad({ filter: /.*/, namespace: 'first-use' }, (args) => ({
      loader: 'js',
      contents: `let loaded;
        const load = () => (loaded ??= require(${JSON.stringify(args.path)}));
        module.exports = new Proxy({}, { get: (_, key) => load()[key] });`,
    }));
  },
};

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/stevedore.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  // CommonJS: Node loads one such file faster than an ES module, and requires the native
  // better-sqlite3 directly.
  format: 'cjs',
  // Native addons (better-sqlite3; ssh2's optional ones): they stay in node_modules.
  external: ['better-sqlite3', 'cpu-features', '*.node'],
  plugins: [loadOnFirstUse],
  // Smaller to parse; names are kept, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: 'warning',
});
