// A validator whose answer the test chooses, for the server's tests.
import { untilAborted } from '../../../kit/runner.js';
import type { SignCertificateRequest } from '../../../kit/proto/sentry.js';
import type { ValidateResult, Validator } from '../validator.js';

export class FakeValidator implements Validator {
  #result: ValidateResult = { trustDomain: 'public' };
  #error: Error | undefined;
  readonly requests: SignCertificateRequest[] = [];

  withTrustDomain(trustDomain: string): this {
    this.#result = { trustDomain };
    this.#error = undefined;
    return this;
  }

  withError(error: Error): this {
    this.#error = error;
    return this;
  }

  run(signal: AbortSignal): Promise<void> {
    return untilAborted(signal);
  }

  validate(request: SignCertificateRequest): Promise<ValidateResult> {
    this.requests.push(request);
    return this.#error === undefined ? Promise.resolve(this.#result) : Promise.reject(this.#error);
  }
}
