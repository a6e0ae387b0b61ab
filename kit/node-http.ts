// node:http for ES modules, without Node's WebSocket. An `import … from 'node:http'` builds the
// module namespace from every export of node:http, and reading its lazy `WebSocket`,
// `CloseEvent` and `MessageEvent` exports loads Node's whole fetch/WebSocket implementation
// (undici): about 2.6 MiB of heap and 12 MiB resident in a process that never uses it
// (docs/all-in-one.md, "Memory"). require() reads only what is used. Types still come from
// `import type … from 'node:http'`.
import type * as Http from 'node:http';
import { createRequire } from 'node:module';

const http = createRequire(import.meta.url)('node:http') as typeof Http;

export const { Agent, createServer, get, request } = http;
