// docs/operator.md, "When daprd is missing": which cause the DaprSidecarMissing message names.
import { describe, expect, it } from '@jest/globals';
import { injectorReadiness, likelyCause, type InjectorReadiness } from './cause.js';
import { missingSidecarMessage } from './findings.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function injectorPod(
  ready: 'True' | 'False' | undefined,
  since?: string,
  over: { deleting?: boolean } = {},
): unknown {
  return {
    metadata: {
      name: 'dapr-sidecar-injector-x',
      ...(over.deleting === true ? { deletionTimestamp: at(0) } : {}),
    },
    status: {
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: at(-100) },
        ...(ready === undefined
          ? []
          : [
              { type: 'Ready', status: ready, ...(since === undefined ? {} : { lastTransitionTime: since }) },
            ]),
      ],
    },
  };
}

const list = (...items: unknown[]): unknown => ({ metadata: { resourceVersion: '5' }, items });

describe('injectorReadiness', () => {
  it('the earliest Ready time among the pods Ready now', () => {
    expect(
      injectorReadiness(
        list(injectorPod('True', at(30)), injectorPod('True', at(10)), injectorPod('False', at(0))),
        'dapr-system',
      ),
    ).toEqual({ state: 'ready', since: T0 + 10_000 });
  });

  it.each([
    ['no pods', list()],
    ['only pods not Ready', list(injectorPod('False', at(0)), injectorPod(undefined))],
    ['a Ready pod being deleted', list(injectorPod('True', at(0), { deleting: true }))],
    ['a pod without conditions', list({ metadata: { name: 'p' }, status: {} })],
  ])('%s: none Ready', (_name, body) => {
    expect(injectorReadiness(body, 'dapr-system')).toEqual({ state: 'none-ready', namespace: 'dapr-system' });
  });

  it.each([
    ['a Ready pod without lastTransitionTime', list(injectorPod('True'))],
    ['a Ready pod with a lastTransitionTime that is no time', list(injectorPod('True', 'yesterday'))],
    ['a partial list (more pages)', { metadata: { continue: 'abc' }, items: [] }],
    ['no items', {}],
    ['no object', null],
  ])('%s: unknown', (_name, body) => {
    expect(injectorReadiness(body, 'dapr-system')).toEqual({ state: 'unknown' });
  });
});

describe('likelyCause', () => {
  const ready: InjectorReadiness = { state: 'ready', since: T0 };

  it('no Ready injector: the API server could not call the webhook, whenever the pod was created', () => {
    const none: InjectorReadiness = { state: 'none-ready', namespace: 'dapr-system' };
    expect(likelyCause(T0, none)).toEqual({ kind: 'injector-not-ready', namespace: 'dapr-system' });
    expect(likelyCause(undefined, none)).toEqual({ kind: 'injector-not-ready', namespace: 'dapr-system' });
  });

  it('created before the injector was Ready, or in the same second', () => {
    expect(likelyCause(T0 - 60_000, ready)).toEqual({
      kind: 'created-before-ready',
      createdAt: T0 - 60_000,
      readySince: T0,
    });
    expect(likelyCause(T0, ready).kind).toBe('created-before-ready');
  });

  it('created after the injector was Ready: the webhook was not called while it was Ready', () => {
    expect(likelyCause(T0 + 1000, ready)).toEqual({
      kind: 'not-called-while-ready',
      createdAt: T0 + 1000,
      readySince: T0,
    });
  });

  it('injector state or creation time unknown: unknown', () => {
    expect(likelyCause(T0, { state: 'unknown' })).toEqual({ kind: 'unknown' });
    expect(likelyCause(undefined, ready)).toEqual({ kind: 'unknown' });
  });
});

describe('missingSidecarMessage', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'shop',
    name: 'orders',
    uid: 'd-uid',
  };
  const restart = 'kubectl rollout restart -n shop deployment/orders.';
  const message = (cause: Parameters<typeof missingSidecarMessage>[2]): string =>
    missingSidecarMessage('orders-5d8f-a', deployment, cause);

  it('no Ready injector', () => {
    const m = message({ kind: 'injector-not-ready', namespace: 'dapr-system' });
    expect(m).toContain('no sidecar injector pod is Ready in namespace dapr-system now');
    expect(m).toContain(
      'the API server could not call the webhook and its failurePolicy Ignore let the pod through',
    );
    expect(m).toContain(
      "kubectl get pods -n dapr-system -l 'app in (dapr-sidecar-injector,dapr-control-plane)'",
    );
    expect(m).not.toContain('namespaceSelector');
    expect(m.endsWith(`recreate the pods: ${restart}`)).toBe(true);
  });

  it('created before the injector was Ready', () => {
    const m = message({ kind: 'created-before-ready', createdAt: T0 - 90_000, readySince: T0 });
    expect(m).toContain(
      'the pod was created at 2026-03-01T09:58:30Z, before the sidecar injector was Ready (since 2026-03-01T10:00:00Z)',
    );
    expect(m).not.toContain('failurePolicy');
    expect(m.endsWith(`The injector is Ready now: recreate the pods: ${restart}`)).toBe(true);
  });

  it('not called although the injector was Ready', () => {
    const m = message({ kind: 'not-called-while-ready', createdAt: T0 + 5000, readySince: T0 });
    expect(m).toContain(
      'not called when the pod was created at 2026-03-01T10:00:05Z, although the sidecar injector was Ready (since 2026-03-01T10:00:00Z)',
    );
    expect(m).toContain('could not reach it');
    expect(m).toContain("private cluster's control-plane firewall rule");
    expect(m).toContain(
      "the webhook's namespaceSelector/objectSelector (MutatingWebhookConfiguration dapr-sidecar-injector) left the pod out",
    );
    expect(m.endsWith(`Fix that, then recreate the pods: ${restart}`)).toBe(true);
  });

  it('unknown: both causes, as before', () => {
    const m = message({ kind: 'unknown' });
    expect(m).toContain('created before the sidecar injector was ready, or the webhook was unreachable');
    expect(m).toContain('failurePolicy is Ignore');
    expect(m.endsWith(`recreate the pods: ${restart}`)).toBe(true);
  });

  it('every variant keeps the declined-by-injector hint and leaves room for long names in an Event note', () => {
    for (const cause of [
      { kind: 'unknown' },
      { kind: 'injector-not-ready', namespace: 'dapr-system' },
      { kind: 'created-before-ready', createdAt: T0, readySince: T0 },
      { kind: 'not-called-while-ready', createdAt: T0, readySince: T0 },
    ] as const) {
      const m = message(cause);
      expect(m).toContain('If an Event from dapr-sidecar-injector on this object names a reason');
      // The recorder cuts a note at 1,024 characters; the remedy at the end must survive names.
      expect(m.length).toBeLessThan(800);
    }
  });

  it('a pod without a restartable owner is deleted to be recreated', () => {
    const m = missingSidecarMessage(
      'lonely',
      { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'lonely' },
      { kind: 'created-before-ready', createdAt: T0, readySince: T0 + 1000 },
    );
    expect(m).toContain('delete the pod (kubectl delete pod -n shop lonely) so that it is created again.');
  });
});
