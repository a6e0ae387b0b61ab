#!/usr/bin/env node
// A pod's Service-port forwarder (see service-ports.ts), run by the node agent inside the
// pod's network namespace as an unprivileged user:
//   node forwarder.js <pod IP> <listenPort>=<targetPort> ...
// It listens on <pod IP>:<listenPort> and relays each connection to <pod IP>:<targetPort>.
import { createServer, connect, type Server } from 'node:net';

const [ip, ...pairs] = process.argv.slice(2);
if (ip === undefined || pairs.length === 0) {
  process.stderr.write('usage: forwarder <pod IP> <listenPort>=<targetPort> ...\n');
  process.exit(2);
}

const servers: Server[] = [];
for (const pair of pairs) {
  const [listen, target] = pair.split('=').map(Number);
  if (!listen || !target) {
    process.stderr.write(`forwarder: bad mapping ${pair}\n`);
    process.exit(2);
  }
  const srv = createServer((client) => {
    const upstream = connect({ host: ip, port: target });
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  srv.on('error', (err) => process.stderr.write(`forwarder: ${ip}:${listen}: ${err.message}\n`));
  srv.listen(listen, ip, () => process.stdout.write(`forwarding ${ip}:${listen} -> ${ip}:${target}\n`));
  servers.push(srv);
}

const stop = (): void => {
  for (const s of servers) s.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
