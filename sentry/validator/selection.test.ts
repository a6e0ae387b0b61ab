import { describe, expect, it } from '@jest/globals';
import { TokenValidator } from '../../kit/proto/sentry.js';
import { chooseValidators } from './selection.js';

describe('sentry §4: default and enabled validators', () => {
  it('Kubernetes mode: kubernetes only, and it is the default', () => {
    expect(chooseValidators(true, [])).toEqual({
      enabled: [TokenValidator.KUBERNETES],
      defaultValidator: TokenValidator.KUBERNETES,
    });
  });

  it('self-hosted: insecure only, and it is the default (never in Kubernetes mode)', () => {
    expect(chooseValidators(false, [])).toEqual({
      enabled: [TokenValidator.INSECURE],
      defaultValidator: TokenValidator.INSECURE,
    });
  });

  it('jwks: added to kubernetes in Kubernetes mode; alone and with no default self-hosted', () => {
    const jwks = [{ name: 'JWKS', options: { source: '{"keys":[]}' } }];
    expect(chooseValidators(true, jwks)).toEqual({
      enabled: [TokenValidator.KUBERNETES, TokenValidator.JWKS],
      defaultValidator: TokenValidator.KUBERNETES,
      jwksOptions: { source: '{"keys":[]}' },
    });
    expect(chooseValidators(false, jwks)).toEqual({
      enabled: [TokenValidator.JWKS],
      defaultValidator: TokenValidator.UNKNOWN,
      jwksOptions: { source: '{"keys":[]}' },
    });
  });

  it.each([
    [
      'kubernetes (built in)',
      'kubernetes',
      /built-in 'kubernetes' and 'insecure' validators cannot be configured/,
    ],
    [
      'insecure (built in)',
      'Insecure',
      /built-in 'kubernetes' and 'insecure' validators cannot be configured/,
    ],
    ['an unknown name', 'oidc', /invalid token validator name: 'oidc'/],
  ])('a configured %s stops sentry with a clear error', (_name, name, message) => {
    expect(() => chooseValidators(true, [{ name }])).toThrow(message);
    expect(() => chooseValidators(false, [{ name }])).toThrow(message);
  });
});
