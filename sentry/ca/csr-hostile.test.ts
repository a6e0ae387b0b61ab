import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { createCsrPem } from '../../kit/x509/csr-builder.js';
import { encodePem } from '../../kit/x509/pem.js';
import { PROPERTY_RUNS } from '../../kit/testing/hostile.js';
import { SentryError } from '../errors.js';
import { MAX_CSR_BYTES, readCsr } from './csr.js';

const CSR_TYPE = 'CERTIFICATE REQUEST';

describe('the CSR field under hostile input (issue 15, docs/sentry.md Limits)', () => {
  it('a CSR field over the limit is refused before parsing, with the size and the limit', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const csr = createCsrPem(key);
    await expect(readCsr(csr)).resolves.toBeDefined();
    const padded = Buffer.concat([csr, Buffer.alloc(MAX_CSR_BYTES - csr.length, ' ')]);
    await expect(readCsr(padded)).resolves.toBeDefined();
    const over = Buffer.concat([padded, Buffer.from(' ')]);
    await expect(readCsr(over)).rejects.toMatchObject({
      kind: 'invalidCsr',
      message: `invalid certificate signing request: ${MAX_CSR_BYTES + 1} bytes, more than the ${MAX_CSR_BYTES}-byte limit`,
    });
  });

  it('property: a CSR field of any bytes gets a SentryError, never another failure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
          fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(encodePem(CSR_TYPE, Buffer.from(b)))),
        ),
        async (field) => {
          const outcome = await readCsr(field).then(
            () => undefined,
            (e: unknown) => e,
          );
          if (outcome !== undefined) expect(outcome).toBeInstanceOf(SentryError);
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
