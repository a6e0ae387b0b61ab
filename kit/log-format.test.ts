// docs/contracts/observability.md §5: Dapr's JSON and text log line formats.
import { describe, expect, it } from '@jest/globals';
import { formatJsonLine, formatRfc3339Nano, formatTextLine, goQuote } from './log-format.js';

const AT = 1_786_740_861_123_456_789n; // 2026-08-14T20:54:21.123456789Z

describe('formatRfc3339Nano', () => {
  it.each([
    ['all nine fraction digits', AT, 0, '2026-08-14T20:54:21.123456789Z'],
    ['trailing zeros trimmed', 1_786_740_861_123_400_000n, 0, '2026-08-14T20:54:21.1234Z'],
    ['no fraction on a whole second', 1_786_740_861_000_000_000n, 0, '2026-08-14T20:54:21Z'],
    ['a positive zone offset', AT, 120, '2026-08-14T22:54:21.123456789+02:00'],
    ['a negative zone offset with minutes', AT, -330, '2026-08-14T15:24:21.123456789-05:30'],
  ])('prints %s', (_name, ns, offset, text) => {
    expect(formatRfc3339Nano(ns, offset)).toBe(text);
  });
});

describe('formatJsonLine', () => {
  it('prints one compact object per line with keys sorted', () => {
    const line = formatJsonLine({ ver: '1.18.3', msg: 'hi', level: 'info', app: 1 });
    expect(line).toBe('{"app":1,"level":"info","msg":"hi","ver":"1.18.3"}\n');
  });

  it('escapes <, > and & as Go does', () => {
    expect(formatJsonLine({ msg: '<a&b>' })).toBe('{"msg":"\\u003ca\\u0026b\\u003e"}\n');
  });
});

describe('formatTextLine', () => {
  it('prints time, level, msg, then the other fields sorted by key', () => {
    const line = formatTextLine({
      ver: '1.18.3',
      type: 'log',
      scope: 'dapr.placement',
      msg: 'Log level set to: info',
      level: 'info',
      instance: 'dapr-placement-server-0',
      time: '2026-08-14T20:54:21.1234Z',
    });
    expect(line).toBe(
      'time="2026-08-14T20:54:21.1234Z" level=info msg="Log level set to: info" ' +
        'instance=dapr-placement-server-0 scope=dapr.placement type=log ver=1.18.3\n',
    );
  });

  it('leaves the message out when it is empty', () => {
    expect(formatTextLine({ time: 't', level: 'info', msg: '', a: 'b' })).toBe('time=t level=info a=b\n');
  });

  it.each([
    ['a plain word', 'abc-1.2_x/y@z^w+v', 'k=abc-1.2_x/y@z^w+v'],
    ['a space', 'a b', 'k="a b"'],
    ['a colon', 'a:b', 'k="a:b"'],
    ['a quote and a newline', 'say "hi"\n', 'k="say \\"hi\\"\\n"'],
    ['an empty value', '', 'k='],
    ['a number', 42, 'k=42'],
    ['a list', ['healthz-server', 'metrics-exporter'], 'k="[healthz-server metrics-exporter]"'],
    ['an object', { a: 1 }, 'k="{\\"a\\":1}"'],
  ])('quotes a value only when needed: %s', (_name, value, expected) => {
    expect(formatTextLine({ time: 't', level: 'info', k: value })).toBe(`time=t level=info ${expected}\n`);
  });
});

describe('goQuote', () => {
  it('escapes control characters like strconv.Quote', () => {
    expect(goQuote('a\tb\x01\\')).toBe('"a\\tb\\x01\\\\"');
  });
});
