import { fastifyTrustProxy, parseTrustProxy } from './trust-proxy.js';

describe('TRUST_PROXY', () => {
  it.each([
    ['', false],
    ['false', false],
    ['0', false],
    ['off', false],
    ['true', 1],
    ['TRUE', 1],
    ['1', 1],
    ['2', 2],
    [' 3 ', 3],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.7 ,fd00::/8', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8']],
    ['::1', ['::1']],
  ])('reads %j as %j', (value, expected) => {
    expect(parseTrustProxy(value)).toEqual(expected);
  });

  it.each(['maybe', '-1', '1.5', '100', '10.0.0.0/33', '10.0.0.1,', 'loopback', '10.0.0.1; 10.0.0.2'])(
    'refuses %j',
    (value) => {
      expect(parseTrustProxy(value)).toBeUndefined();
    },
  );

  it('never hands Fastify `true` (every hop) or a bare number (which it now trusts for nothing)', () => {
    const hops = fastifyTrustProxy(2) as (address: string, hop: number) => boolean;
    expect([0, 1, 2, 3].map((hop) => hops('203.0.113.1', hop))).toEqual([true, true, false, false]);
    expect(fastifyTrustProxy(false)).toBe(false);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
  });
});
