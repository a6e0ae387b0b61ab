// Go's strconv and time parsing rules, which the chart's and users' flag values rely on.
import { describe, expect, it } from '@jest/globals';
import {
  formatGoDuration,
  isTruthy,
  parseGoBool,
  parseGoDuration,
  parseGoFloat,
  parseGoInt,
} from './go-values.js';

describe('parseGoDuration', () => {
  it.each([
    ['seconds', '2s', 2_000],
    ['minutes and seconds', '1m30s', 90_000],
    ['milliseconds', '500ms', 500],
    ['an hour', '1h', 3_600_000],
    ['a bare zero', '0', 0],
    ['a day in hours', '24h', 86_400_000],
    ['a fraction of an hour', '1.5h', 5_400_000],
    ['a leading dot', '.5s', 500],
    ['microseconds with the micro sign', '1500µs', 1.5],
    ['microseconds with us', '250us', 0.25],
    ['nanoseconds', '1000000ns', 1],
    ['a negative value', '-2s', -2_000],
    ['an explicit plus', '+3s', 3_000],
    ['zero with a unit', '0s', 0],
  ])('parses %s (%s)', (_name, text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each([
    ['a number without a unit', '10', 'missing unit in duration'],
    ['an unknown unit', '3d', 'unknown unit "d" in duration'],
    ['an empty string', '', 'invalid duration'],
    ['a unit without a number', 's', 'invalid duration'],
    ['upper-case units', '2S', 'unknown unit "S" in duration'],
    ['words', 'soon', 'invalid duration'],
  ])('rejects %s (%s)', (_name, text, reason) => {
    expect(() => parseGoDuration(text)).toThrow(reason);
  });
});

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1_500, '1.5s'],
    [2_000, '2s'],
    [90_000, '1m30s'],
    [86_400_000, '24h0m0s'],
    [0.25, '250µs'],
    [-1_000, '-1s'],
  ])('prints %p ms as %s, like time.Duration.String', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });
});

describe('parseGoBool', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('reads %s as true', (text) => {
    expect(parseGoBool(text)).toBe(true);
  });
  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('reads %s as false', (text) => {
    expect(parseGoBool(text)).toBe(false);
  });
  it.each(['yes', 'on', 'tRuE', '', '2'])('rejects %p, as strconv.ParseBool does', (text) => {
    expect(() => parseGoBool(text)).toThrow('not a boolean');
  });
});

describe('parseGoInt', () => {
  it.each([
    ['decimal', '50005', 50005],
    ['negative', '-1', -1],
    ['explicit plus', '+7', 7],
    ['hexadecimal', '0x1F', 31],
    ['binary', '0b101', 5],
    ['octal with 0o', '0o17', 15],
    ['legacy octal', '010', 8],
    ['zero', '0', 0],
  ])('parses %s (%s)', (_name, text, value) => {
    expect(parseGoInt(text)).toBe(value);
  });

  it.each(['abc', '1.5', '', '08', ' 1', '9'.repeat(20)])('rejects %p', (text) => {
    expect(() => parseGoInt(text)).toThrow();
  });
});

describe('parseGoFloat', () => {
  it.each([
    ['1.5', 1.5],
    ['-2', -2],
    ['1e3', 1000],
    ['.25', 0.25],
    ['+Inf', Infinity],
  ])('parses %s', (text, value) => {
    expect(parseGoFloat(text)).toBe(value);
  });

  it('rejects a non-number', () => {
    expect(() => parseGoFloat('one')).toThrow('not a number');
  });
});

describe('isTruthy', () => {
  it.each([
    ['y', true],
    ['yes', true],
    [' On ', true],
    [' TRUE ', true],
    ['t', true],
    ['1', true],
    ['TRUE', true],
    ['no', false],
    ['0', false],
    ['false', false],
    ['maybe', false],
    ['2', false],
    ['', false],
    [undefined, false],
  ])('treats %p as %p', (value, expected) => {
    expect(isTruthy(value)).toBe(expected);
  });
});
