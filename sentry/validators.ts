// Which validators run, and which one a request that names none gets (sentry.md §4 "Default and
// enabled validators"): in Kubernetes mode `kubernetes` always, as the default; self-hosted,
// `insecure` as the default unless tokenValidators names others. Only `jwks` may be configured;
// naming a built-in is an error. The jwks validator is not implemented yet, so configuring it
// stops sentry at startup with a message saying so, instead of signing without it.
import { TokenValidator } from './proto/sentry.js';
import type { TokenValidatorSpec } from './config.js';
import { ConfigError } from './config.js';

export interface ValidatorChoice {
  /** TokenValidator values to run. */
  readonly enabled: readonly number[];
  /** For requests that say UNKNOWN; UNKNOWN when there is none. */
  readonly defaultValidator: number;
}

function checkConfigured(spec: TokenValidatorSpec): void {
  switch (spec.name.toLowerCase()) {
    case 'jwks':
      throw new ConfigError(
        "the 'jwks' token validator is not supported by this sentry yet: remove it from spec.mtls.tokenValidators",
      );
    case 'kubernetes':
    case 'insecure':
      throw new ConfigError(
        "invalid token validator: the built-in 'kubernetes' and 'insecure' validators cannot be configured manually",
      );
    default:
      throw new ConfigError(`invalid token validator name: '${spec.name}'; supported values: 'jwks'`);
  }
}

/** Throws ConfigError for a configuration sentry cannot honour. */
export function chooseValidators(
  kubernetesMode: boolean,
  configured: readonly TokenValidatorSpec[],
): ValidatorChoice {
  for (const spec of configured) checkConfigured(spec);
  if (kubernetesMode) {
    return { enabled: [TokenValidator.KUBERNETES], defaultValidator: TokenValidator.KUBERNETES };
  }
  return { enabled: [TokenValidator.INSECURE], defaultValidator: TokenValidator.INSECURE };
}
