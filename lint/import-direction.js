// ESLint rule: imports between the top-level folders go one way (docs/architecture.md §2).
// A service imports kit/ and itself; kit/ imports only kit/; all-in-one/ (the composition root
// that runs the four services in one process) imports the services and kit/ and is imported by
// no service and not by kit/; test/ is imported only by test/ and bench/ (the benchmarks run on
// the test harness). Only relative specifiers can name our
// folders, so package imports are not looked at.
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';

export const SERVICES = ['sentry', 'placement', 'operator', 'sidecar-injector'];
/** The one folder that may import the services: the all-in-one process. */
export const COMPOSITION_ROOT = 'all-in-one';
const OURS = new Set([...SERVICES, COMPOSITION_ROOT, 'kit', 'test', 'bench']);

/** Why `from` may not import `to` (top-level folders), or undefined when it may. */
export function forbidden(from, to) {
  if (from === to || !OURS.has(from) || !OURS.has(to)) return undefined;
  if (SERVICES.includes(from)) {
    return to === 'kit' ? undefined : `a service imports kit/ and itself, not ${to}/`;
  }
  if (from === 'kit') return `kit/ imports no service and no test code (${to}/)`;
  if (from === COMPOSITION_ROOT) {
    return to === 'kit' || SERVICES.includes(to)
      ? undefined
      : `${COMPOSITION_ROOT}/ imports the services and kit/, not ${to}/`;
  }
  if (to === 'test' && from !== 'bench') return 'only test/ and bench/ import test/';
  return undefined;
}

const topFolder = (path) => normalize(path).split(sep)[0];

export const importDirection = {
  meta: {
    type: 'problem',
    docs: { description: 'imports between top-level folders go one way' },
    schema: [],
    messages: { wrongWay: 'import of {{target}}: {{why}} (docs/architecture.md §2)' },
  },
  create(context) {
    const file = isAbsolute(context.filename) ? relative(context.cwd, context.filename) : context.filename;
    const from = topFolder(file);
    const check = (node) => {
      const source = node?.source;
      if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.'))
        return;
      const target = join(dirname(file), source.value);
      const why = forbidden(from, topFolder(target));
      if (why !== undefined) context.report({ node: source, messageId: 'wrongWay', data: { target, why } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { rules: { 'import-direction': importDirection } };
