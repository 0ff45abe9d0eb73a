#!/usr/bin/env node
// The executable: runs the compiled CLI. `npm run build` (or any README command) makes dist/.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
