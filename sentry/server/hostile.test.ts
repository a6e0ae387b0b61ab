// Sentry under hostile SignCertificate calls (issue 15, docs/sentry.md Limits): CSR fields of the
// largest size gRPC accepts (4 MiB) and of the largest we parse (64 KiB), shaped to make the PEM
// reader backtrack, while a well-behaved sidecar keeps asking for its certificate.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status, type ServiceError } from '@grpc/grpc-js';
import { createCsrPem } from '../../kit/x509/csr-builder.js';
import { MAX_CSR_BYTES } from '../ca/csr.js';
import { privateKey } from '../ca/testing/keys.js';
import { TokenValidator, type SignCertificateRequest } from '../../kit/proto/sentry.js';
import { SentryClient } from '../../kit/security/sentry-client.js';
import { startTestSentry, type TestSentry } from './testing/test-sentry.js';
import { liveBytes, reportMeasurement } from '../../kit/testing/hostile.js';

/** gRPC's default receive limit, which sentry keeps (as upstream does). */
const GRPC_MAX_MESSAGE = 4 * 1024 * 1024;
/** What the attack may leave behind in sentry once the attacker has gone. */
const MEMORY_BOUND = 64 * 1024 * 1024;

let sentry: TestSentry;
const clients: SentryClient[] = [];

beforeAll(async () => {
  sentry = await startTestSentry();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await sentry.stop();
});

function client(): SentryClient {
  const c = new SentryClient({
    address: sentry.address,
    trustAnchorsPem: sentry.bundle.trustAnchorsPem,
    sentryId: sentry.sentryId,
  });
  clients.push(c);
  return c;
}

function request(csr: Buffer): SignCertificateRequest {
  return {
    id: 'myapp',
    token: '',
    trustDomain: '',
    namespace: 'default',
    certificateSigningRequest: csr,
    tokenValidator: TokenValidator.UNKNOWN,
    jwtAudiences: [],
  };
}

/** A CERTIFICATE REQUEST block of `size` bytes: blanks and one bad character (the case). */
function blanksCsr(size: number): Buffer {
  const begin = '-----BEGIN CERTIFICATE REQUEST-----\n';
  const end = '\n-----END CERTIFICATE REQUEST-----\n';
  return Buffer.from(`${begin}${' '.repeat(size - begin.length - end.length - 1)}!${end}`);
}

describe('sentry under hostile load (issue 15)', () => {
  it('hostile CSRs at 64 KiB and 4 MiB are refused with INVALID_ARGUMENT; the honest sidecar keeps getting certificates; memory stays bounded', async () => {
    const honest = client();
    const attacker = client();
    const good = request(createCsrPem(privateKey('p256')));
    await honest.signCertificate(good);
    const hostile = [
      ...Array.from({ length: 4 }, () => blanksCsr(MAX_CSR_BYTES)),
      ...Array.from({ length: 4 }, () => blanksCsr(GRPC_MAX_MESSAGE - 4096)),
      ...Array.from({ length: 4 }, () =>
        Buffer.from('-----BEGIN A-----\n'.repeat((GRPC_MAX_MESSAGE - 4096) / 18)),
      ),
    ];
    const before = liveBytes(); // after building the requests: the test's own buffers do not count
    let attacking = true;
    const attack = (async (): Promise<(number | undefined)[]> => {
      const codes: (number | undefined)[] = [];
      for (const csr of hostile) {
        codes.push(
          await attacker.signCertificate(request(csr)).then(
            () => undefined,
            (err: ServiceError) => err.code,
          ),
        );
      }
      attacking = false;
      return codes;
    })();
    const latencies: number[] = [];
    while (attacking || latencies.length < 5) {
      const start = performance.now();
      await honest.signCertificate(good);
      latencies.push(performance.now() - start);
    }
    expect(await attack).toEqual(hostile.map(() => status.INVALID_ARGUMENT));
    latencies.sort((a, b) => a - b);
    reportMeasurement('sentry honest SignCertificate, slowest', latencies.at(-1)!, 'ms');
    expect(latencies.at(-1)!).toBeLessThan(2_000);
    // The attacker's channel lives in this process too: its buffers are the test's, not sentry's.
    // Sentry's side of that connection lets go of its last 4 MiB messages when it sees the channel
    // close, a moment later (up to 76 MiB were still held right after close() in one CI run, 3
    // MiB in most runs): the bound must hold within seconds of the attacker leaving.
    attacker.close();
    let grown = liveBytes() - before;
    for (const until = Date.now() + 5_000; grown >= MEMORY_BOUND && Date.now() < until;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      grown = liveBytes() - before;
    }
    reportMeasurement('sentry memory growth', grown / 1048576, 'MiB');
    expect(grown).toBeLessThan(MEMORY_BOUND);
  }, 120_000);
});
