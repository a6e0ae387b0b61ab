// Integration tests start real control planes, which take seconds: a longer default deadline.
// A stuck component still fails sooner, through the harness's own waitFor deadlines.
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
