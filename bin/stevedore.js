#!/usr/bin/env node
// The executable: runs the bundled CLI. `npm run build` (or any README command) makes dist/.
import { createRequire } from 'node:module';

const { main } = createRequire(import.meta.url)('../dist/stevedore.cjs');
process.exitCode = await main(process.argv.slice(2));
