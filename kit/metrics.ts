// The process's Prometheus registry: Dapr's own series (declared by each service's metrics.ts),
// prom-client's process/nodejs defaults, and two Go-named gauges the Dapr Grafana dashboard
// queries. Dapr's OpenCensus views export a series only after its first recording, so our
// series are registered lazily on first use; a never-recorded metric prints nothing at all.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface SeriesSpec<L extends string> {
  /** Full exposition name, e.g. `dapr_sentry_cert_sign_success_total`. */
  readonly name: string;
  readonly help: string;
  readonly labels?: readonly L[];
}

export type Labels<L extends string> = Readonly<Record<L, string>>;

export interface CounterSeries<L extends string> {
  inc(labels?: Labels<L>, by?: number): void;
}

export interface GaugeSeries<L extends string> {
  set(value: number, labels?: Labels<L>): void;
}

export interface GaugeSpec<L extends string> extends SeriesSpec<L> {
  /** Register at once with this value instead of on first use (placement's leader gauges). */
  readonly initialValue?: number;
}

export interface MetricsRegistryOptions {
  /** prom-client defaults plus the go_* compatibility gauges; tests may turn them off. */
  readonly processMetrics?: boolean;
}

/** The Go series the upstream dashboard reads, computed from their closest Node equivalents. */
function registerGoCompatibility(registry: Registry): void {
  new Gauge({
    name: 'go_memstats_alloc_bytes',
    help: 'Bytes of allocated objects still in use (Node: V8 heap used plus external memory).',
    registers: [registry],
    collect(): void {
      const usage = process.memoryUsage();
      this.set(usage.heapUsed + usage.external);
    },
  });
  new Gauge({
    name: 'go_goroutines',
    help: 'Concurrent activities in flight (Node: active handles and requests).',
    registers: [registry],
    collect(): void {
      this.set(process.getActiveResourcesInfo().length);
    },
  });
}

export class MetricsRegistry {
  readonly registry = new Registry();
  readonly #names = new Set<string>();

  constructor(options: MetricsRegistryOptions = {}) {
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      registerGoCompatibility(this.registry);
    }
  }

  #claim(name: string): void {
    if (this.#names.has(name)) throw new Error(`metric declared twice: ${name}`);
    this.#names.add(name);
  }

  /** A counter that appears in the output on its first increment. */
  counter<L extends string = never>(spec: SeriesSpec<L>): CounterSeries<L> {
    this.#claim(spec.name);
    const metric = new Counter<string>({
      name: spec.name,
      help: spec.help,
      labelNames: [...(spec.labels ?? [])],
      registers: [],
    });
    let registered = false;
    return {
      inc: (labels, by = 1): void => {
        if (!registered) {
          this.registry.registerMetric(metric);
          registered = true;
        }
        if (labels === undefined) metric.inc(by);
        else metric.inc(labels as Record<string, string>, by);
      },
    };
  }

  /** A gauge that appears on its first set (or at once with `initialValue`). */
  gauge<L extends string = never>(spec: GaugeSpec<L>): GaugeSeries<L> {
    this.#claim(spec.name);
    const metric = new Gauge<string>({
      name: spec.name,
      help: spec.help,
      labelNames: [...(spec.labels ?? [])],
      registers: [],
    });
    let registered = false;
    const series: GaugeSeries<L> = {
      set: (value, labels): void => {
        if (!registered) {
          this.registry.registerMetric(metric);
          registered = true;
        }
        if (labels === undefined) metric.set(value);
        else metric.set(labels as Record<string, string>, value);
      },
    };
    if (spec.initialValue !== undefined) series.set(spec.initialValue);
    return series;
  }

  /** The exposition text (Prometheus format 0.0.4). */
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
