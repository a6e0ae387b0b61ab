#!/usr/bin/env node
// Test app (image dapr-ts/test-app:nodeapp): the Dapr hello-world "nodeapp", as a user writes it.
//   POST /neworder  {"data": {"orderId": N}}  saves the order through its sidecar's state API, as
//                   the key "order" (the latest, as in Dapr's hello-world) and "order-N" (each
//                   one, so that the walkthrough's test can prove that no order was lost)
//   GET  /order     reads the order back through the sidecar
//   GET  /ports     the Dapr ports it was given (for the walkthrough's curl hints)
// Port 3000 (or $APP_PORT); the sidecar's HTTP port from $DAPR_HTTP_PORT (default 3500), which is
// how daprd tells an app where it listens. The state store is named by $STATE_STORE_NAME
// (default "statestore", the walkthrough's Component).
import express from 'express';

const port = Number(process.env.APP_PORT ?? 3000);
const daprPort = Number(process.env.DAPR_HTTP_PORT ?? 3500);
const stateStore = process.env.STATE_STORE_NAME ?? 'statestore';
const stateUrl = `http://localhost:${daprPort}/v1.0/state/${stateStore}`;

const app = express();
app.use(express.json());

app.get('/order', async (_req, res) => {
  try {
    const r = await fetch(`${stateUrl}/order`);
    if (!r.ok) throw new Error(`the sidecar answered ${r.status}: ${await r.text()}`);
    res.type('application/json').send(await r.text());
  } catch (err) {
    console.log(`Could not get state: ${(err as Error).message}`);
    res.status(500).send({ message: (err as Error).message });
  }
});

app.post('/neworder', async (req, res) => {
  const data: unknown = (req.body as { data?: unknown } | undefined)?.data;
  const orderId = (data as { orderId?: unknown } | undefined)?.orderId;
  if (orderId === undefined) {
    res.status(400).send({ message: 'expected {"data": {"orderId": ...}}' });
    return;
  }
  console.log(`Got a new order! Order ID: ${orderId as string | number}`);
  try {
    const r = await fetch(stateUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { key: 'order', value: data },
        { key: `order-${JSON.stringify(orderId)}`, value: data },
      ]),
    });
    if (!r.ok) throw new Error(`the sidecar answered ${r.status}: ${await r.text()}`);
    console.log('Successfully persisted state.');
    res.status(200).send();
  } catch (err) {
    console.log(`Failed to persist state: ${(err as Error).message}`);
    res.status(500).send({ message: (err as Error).message });
  }
});

app.get('/ports', (_req, res) => {
  res.send({ DAPR_HTTP_PORT: process.env.DAPR_HTTP_PORT, DAPR_GRPC_PORT: process.env.DAPR_GRPC_PORT });
});

const server = app.listen(port, () => console.log(`Node App listening on port ${port}!`));
// A pod's containers get SIGTERM on deletion; leave promptly and cleanly.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
