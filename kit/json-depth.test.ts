import { describe, expect, it } from '@jest/globals';
import { jsonDepthProblem, MAX_JSON_DEPTH } from './json-depth.js';

describe('JSON nesting bound (issue 15)', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonDepthProblem('[[{"a":[1]}]]', 4)).toBeUndefined();
    expect(jsonDepthProblem('[[{"a":[[1]]}]]', 4)).toBe('JSON nested more than 4 deep');
    expect(jsonDepthProblem('["[[[[[[", "\\"[[[[[["]', 1)).toBeUndefined();
  });

  it("refuses past Go's 10000 and is fast on the largest bodies", () => {
    const deep = '['.repeat(3 * 1024 * 1024);
    const start = performance.now();
    expect(jsonDepthProblem(deep)).toBe(`JSON nested more than ${MAX_JSON_DEPTH} deep`);
    expect(jsonDepthProblem(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeUndefined();
    expect(performance.now() - start).toBeLessThan(200);
  });
});
