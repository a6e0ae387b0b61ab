import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodePem, encodePem, firstPemBlock } from './pem.js';
import { growth, hostileText, LINEAR_RATIO_LIMIT, PROPERTY_RUNS } from '../testing/hostile.js';

const CSR_TYPE = 'CERTIFICATE REQUEST';
const begin = (type = CSR_TYPE): string => `-----BEGIN ${type}-----\n`;
const end = (type = CSR_TYPE): string => `-----END ${type}-----\n`;

/** Inputs that made the former regexes backtrack or rescan, sized in bytes. */
const HOSTILE: Record<string, (size: number) => string> = {
  'blanks then one bad character': (size) => `${begin()}${' '.repeat(size)}!\n${end()}`,
  'BEGIN lines without END': (size) => begin('A').repeat(Math.ceil(size / 18)),
  'BEGIN lines of distinct types without END': (size) =>
    Array.from({ length: Math.ceil(size / 24) }, (_, i) => begin(`T${i}`)).join(''),
  'blocks with padding runs': (size) => `${begin()}${'A='.repeat(size / 2)}\n${end()}`.repeat(1),
};

describe('PEM reading under hostile input (issue 15, docs/sentry.md Limits)', () => {
  it('a 64 KiB body of blanks and one bad character is refused in milliseconds (was 7.5 s)', () => {
    const start = performance.now();
    expect(decodePem(HOSTILE['blanks then one bad character']!(64 * 1024))).toEqual([]);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('256 KiB of BEGIN lines without END are scanned once (was 2.5 s)', () => {
    const start = performance.now();
    expect(decodePem(HOSTILE['BEGIN lines without END']!(256 * 1024))).toEqual([]);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('the first block is returned without decoding the rest', () => {
    const first = encodePem(CSR_TYPE, Buffer.from('first'));
    const tail = HOSTILE['blanks then one bad character']!(1024 * 1024);
    const start = performance.now();
    expect(firstPemBlock(first + tail)).toEqual({ type: CSR_TYPE, der: Buffer.from('first') });
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('keeps the former reading: text around blocks, headers, bad bodies skipped, END must match', () => {
    const a = encodePem('A', Buffer.from('a'));
    const withHeaders = `${begin('B')}Proc-Type: 4,ENCRYPTED\n\n${Buffer.from('b').toString('base64')}\n${end('B')}`;
    const bad = `${begin('C')}!!!!\n${end('C')}`;
    const mismatched = `${begin('D')}AAAA\n${end('E')}`;
    expect(decodePem(`junk\n${a}${bad}middle${mismatched}${withHeaders}trailer`)).toEqual([
      { type: 'A', der: Buffer.from('a') },
      { type: 'B', der: Buffer.from('b') },
    ]);
    expect(decodePem(`${begin('X')}AAAA\r\n${end('X')}`)).toEqual([
      { type: 'X', der: Buffer.from([0, 0, 0]) },
    ]);
    expect(decodePem(`-----BEGIN X-Y-----\nAAAA\n-----END X-Y-----\n`)).toEqual([]);
  });

  it.each(Object.keys(HOSTILE))('time grows linearly with the input: %s', async (name) => {
    const g = await growth(HOSTILE[name]!, (text) => decodePem(text), 64 * 1024);
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });

  it('property: any input decodes to well-formed blocks or none, never a throw', () => {
    const alphabet = [
      '-----BEGIN ',
      '-----END ',
      '-----',
      CSR_TYPE,
      ' ',
      '\n',
      '\r',
      '=',
      'AAAA',
      ':',
      '!',
      '-',
    ];
    fc.assert(
      fc.property(hostileText(alphabet), (text) => {
        for (const block of decodePem(text)) {
          expect(block.der.length).toBeGreaterThan(0);
          expect(block.type).not.toMatch(/[\r\n-]/);
        }
        expect(firstPemBlock(text)).toEqual(decodePem(text)[0]);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('property: a body is accepted exactly when the former regex accepted it', () => {
    // The former rule, as a regex: base64 and blanks, at most two '=', then only blanks.
    const former = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;
    const pieces = [
      'A',
      'z',
      '0',
      '+',
      '/',
      '=',
      ' ',
      '\t',
      '\v',
      '\f',
      '\r',
      '\u00a0',
      '\u2028',
      '\ufeff',
      '!',
      '-',
      '\u0085',
      'é',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (chars) => {
        const body = chars.join('');
        const accepted = decodePem(`${begin('X')}QUJD${body}\n${end('X')}`).length === 1;
        expect({ body, accepted }).toEqual({ body, accepted: former.test(`QUJD${body}`) });
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
