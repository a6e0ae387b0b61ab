import { describe, expect, it } from '@jest/globals';
import { InsecureValidator } from './insecure.js';
import { signRequest } from '../testing/sign-request.js';
import type { Validator } from '../validator.js';
import { FakeValidator } from '../testing/fake-validator.js';

describe('sentry §4 insecure validator', () => {
  const validator: Validator = new InsecureValidator();

  it('grants any identity in the requested trust domain (public by default)', async () => {
    await expect(validator.validate(signRequest())).resolves.toEqual({ trustDomain: 'public' });
    await expect(validator.validate(signRequest({ trustDomain: 'td.example' }))).resolves.toEqual({
      trustDomain: 'td.example',
    });
  });

  it('still applies the common rules', async () => {
    await expect(validator.validate(signRequest({ id: 'a.b' }))).rejects.toMatchObject({
      kind: 'validation',
    });
  });

  it('runs until aborted', async () => {
    const stop = new AbortController();
    const running = validator.run(stop.signal);
    stop.abort();
    await expect(running).resolves.toBeUndefined();
  });

  it('the fake validator satisfies the interface', () => {
    expect(new FakeValidator() satisfies Validator).toBeInstanceOf(FakeValidator);
  });
});
