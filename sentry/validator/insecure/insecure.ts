// The insecure validator (self-hosted default): the common rules only, so any caller can obtain
// any identity in the trust domain it names (`public` when it names none).
import { untilAborted } from '../../../kit/runner.js';
import type { SignCertificateRequest } from '../../../kit/proto/sentry.js';
import { validateCommon } from '../common.js';
import type { ValidateResult, Validator } from '../validator.js';

export class InsecureValidator implements Validator {
  run(signal: AbortSignal): Promise<void> {
    return untilAborted(signal);
  }

  validate(request: SignCertificateRequest): Promise<ValidateResult> {
    // A rule violation thrown in the executor becomes the rejection.
    return new Promise((resolve) => resolve({ trustDomain: validateCommon(request) }));
  }
}
