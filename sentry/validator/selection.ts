// Which validators run, and which one a request that names none gets (docs/contracts/sentry.md §4 "Default and
// enabled validators"): in Kubernetes mode `kubernetes` always, as the default, plus `jwks` when
// configured; self-hosted, `insecure` as the default unless tokenValidators names jwks, which
// then runs alone with no default. Only `jwks` may be configured; naming a built-in is an error.
import { TokenValidator } from '../../kit/proto/sentry.js';
import type { TokenValidatorSpec } from '../config.js';
import { ConfigError } from '../config.js';

export interface ValidatorChoice {
  /** TokenValidator values to run. */
  readonly enabled: readonly number[];
  /** For requests that say UNKNOWN; UNKNOWN when there is none. */
  readonly defaultValidator: number;
  /** The options of the configured jwks validator (the last entry wins, as upstream). */
  readonly jwksOptions?: unknown;
}

function checkConfigured(spec: TokenValidatorSpec): void {
  switch (spec.name.toLowerCase()) {
    case 'jwks':
      return;
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
  const jwks = configured.at(-1);
  const jwksPart = jwks === undefined ? {} : { jwksOptions: jwks.options };
  if (kubernetesMode) {
    return {
      enabled:
        jwks === undefined ? [TokenValidator.KUBERNETES] : [TokenValidator.KUBERNETES, TokenValidator.JWKS],
      defaultValidator: TokenValidator.KUBERNETES,
      ...jwksPart,
    };
  }
  if (jwks !== undefined) {
    return { enabled: [TokenValidator.JWKS], defaultValidator: TokenValidator.UNKNOWN, ...jwksPart };
  }
  return { enabled: [TokenValidator.INSECURE], defaultValidator: TokenValidator.INSECURE };
}
