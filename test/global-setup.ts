// Checked once before any test runs: what the integration tests take for granted.
// `npm test` runs scripts/setup.sh first, which makes all of it; this catches a bare
// `npx vitest` on a machine where setup never ran, with one message naming the gaps.
import { existsSync } from 'node:fs';
import { request, type RequestOptions } from 'node:http';

const IMAGES = ['stevedore-test/tiny:latest', 'stevedore-examples/sql-transform:latest'];
const CLI = new URL('../dist/stevedore.cjs', import.meta.url);

export default async function globalSetup(): Promise<void> {
  const missing: string[] = [];
  if (!existsSync(CLI)) missing.push('the bundled CLI dist/stevedore.cjs');

  const engine = engineAddress();
  const ping = await engineGet(engine, '/_ping');
  if (ping.status !== 200) {
    missing.push(`a container engine answering at ${engine.name} (${ping.error})`);
  } else {
    for (const image of IMAGES) {
      // Docker's API takes the name unescaped: `/images/NAME:TAG/json`.
      const found = await engineGet(engine, `/images/${image}/json`);
      if (found.status !== 200) missing.push(`the image ${image} (${found.error})`);
    }
  }

  if (missing.length > 0) {
    throw new Error(
      `Missing for the tests: ${missing.join('; ')}. ` +
        'Run `bash scripts/setup.sh` (npm test runs it first).',
    );
  }
}

interface EngineAddress {
  name: string;
  options: RequestOptions;
}

/** The engine as the Docker convention finds it: DOCKER_HOST, else the local socket. */
function engineAddress(): EngineAddress {
  const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) {
    return { name: host, options: { socketPath: host.slice('unix://'.length) } };
  }
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { name: host, options: { host: url.hostname, port: Number(url.port) || 2375 } };
}

function engineGet(
  engine: EngineAddress,
  path: string,
): Promise<{ status: number; error: string }> {
  return new Promise((resolve) => {
    const req = request({ ...engine.options, path, method: 'GET', timeout: 5000 }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => resolve({ status, error: `HTTP ${status}` }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    req.end();
  });
}
