// Readiness as a set of named targets: each long-lived part registers its own target and flips
// it. The process is healthy only when at least one target exists and every target is ready,
// which is what Kubernetes probes and Dapr's own tests expect from /healthz.

export interface HealthTarget {
  readonly name: string;
  ready(): void;
  notReady(): void;
}

export class HealthTargets {
  readonly #ready = new Map<string, boolean>();

  /**
   * A view that registers its targets here as `<prefix>/<name>`: the all-in-one process runs
   * four services behind one /healthz, and each registers its own `security-provider`.
   */
  scoped(prefix: string): HealthTargets {
    return new ScopedHealthTargets(this, prefix);
  }

  /** Registers a target, not ready. Names are unique: a second registration is a bug. */
  addTarget(name: string): HealthTarget {
    if (this.#ready.has(name)) throw new Error(`health target already registered: ${name}`);
    this.#ready.set(name, false);
    return {
      name,
      ready: (): void => {
        this.#ready.set(name, true);
      },
      notReady: (): void => {
        this.#ready.set(name, false);
      },
    };
  }

  /** Removes a target, for parts that are rebuilt (sentry's issuer reload). */
  removeTarget(name: string): void {
    this.#ready.delete(name);
  }

  /** True when ≥1 target is registered and all are ready. */
  isHealthy(): boolean {
    if (this.#ready.size === 0) return false;
    for (const ready of this.#ready.values()) if (!ready) return false;
    return true;
  }

  /** Names of the targets that are not ready, sorted, for the debug log. */
  unhealthyTargets(): string[] {
    return [...this.#ready.entries()]
      .filter(([, ready]) => !ready)
      .map(([name]) => name)
      .sort();
  }

  /** Shutdown: everything reports not ready, so /healthz answers 503 while stopping. */
  markAllNotReady(): void {
    for (const name of this.#ready.keys()) this.#ready.set(name, false);
  }
}

/** What HealthTargets.scoped returns: registrations are prefixed, questions are the whole set's. */
class ScopedHealthTargets extends HealthTargets {
  readonly #root: HealthTargets;
  readonly #prefix: string;

  constructor(root: HealthTargets, prefix: string) {
    super();
    this.#root = root;
    this.#prefix = prefix;
  }

  override scoped(prefix: string): HealthTargets {
    return this.#root.scoped(`${this.#prefix}/${prefix}`);
  }

  override addTarget(name: string): HealthTarget {
    return this.#root.addTarget(`${this.#prefix}/${name}`);
  }

  override removeTarget(name: string): void {
    this.#root.removeTarget(`${this.#prefix}/${name}`);
  }

  override isHealthy(): boolean {
    return this.#root.isHealthy();
  }

  override unhealthyTargets(): string[] {
    return this.#root.unhealthyTargets();
  }

  override markAllNotReady(): void {
    this.#root.markAllNotReady();
  }
}
