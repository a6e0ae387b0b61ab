#!/usr/bin/env node
// The all-in-one binary: everything happens in app.ts; this only turns its result into an exit.
import { holdTerminationSignals } from '../kit/signals.js';
import { run } from './app.js';

holdTerminationSignals();
const code = await run(process.argv.slice(2), process.env);
// Exit explicitly: the parts are stopped and logs are written synchronously, so nothing is lost.
process.exit(code);
