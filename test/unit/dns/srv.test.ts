/**
 * SRV records as an unsigned redirect list (RFC 8572 §4.2.3, C-031) in RFC 2782 order: priority
 * first, then weighted random selection (weight 0 first in the list, chosen with probability of
 * picking 0); "." target; set cap; additional-section addresses (C-033).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SRV_RECORDS, orderSrv, srvServers } from '../../../src/dns/srv.ts';
import type { SrvData } from '../../../src/dns/codec.ts';

const srv = (target: string, priority: number, weight: number, port = 443): SrvData => ({
  target,
  priority,
  weight,
  port,
});

/** A deterministic sequence of random numbers. */
const seq = (...xs: number[]): (() => number) => {
  let i = 0;
  return () => xs[i++ % xs.length] ?? 0;
};

describe('SRV order (RFC 2782)', () => {
  it('lower priority always comes first, whatever the weights', () => {
    const got = orderSrv([srv('c', 20, 100), srv('a', 0, 0), srv('b', 10, 1000)], Math.random);
    assert.deepEqual(
      got.map((r) => r.target),
      ['a', 'b', 'c'],
    );
  });

  it('within a priority, the running sum picks: r=0 selects the weight-0 record first', () => {
    const records = [srv('w10', 1, 10), srv('w0', 1, 0), srv('w30', 1, 30)];
    // r=0 → pick 0 → first with running sum ≥ 0 is the weight-0 record (listed first).
    assert.deepEqual(
      orderSrv(records, seq(0, 0, 0)).map((r) => r.target),
      ['w0', 'w10', 'w30'],
    );
    // r→40 of 0..40 → w30; then of 0..10 → w10 at the top end; then w0.
    assert.deepEqual(
      orderSrv(records, seq(0.999, 0.999, 0.5)).map((r) => r.target),
      ['w30', 'w10', 'w0'],
    );
  });

  it('selects in proportion to weight over many draws', () => {
    let first90 = 0;
    const n = 4000;
    let x = 12345;
    const lcg = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < n; i++)
      if (orderSrv([srv('w10', 0, 10), srv('w90', 0, 90)], lcg)[0]?.target === 'w90') first90++;
    assert.ok(first90 / n > 0.85 && first90 / n < 0.95, `w90 first in ${first90}/${n}`);
  });

  it('a single "." target means the service is not available: an empty list', () => {
    assert.deepEqual(orderSrv([srv('', 0, 0)], Math.random), []);
  });

  it('caps a huge set at MAX_SRV_RECORDS', () => {
    const many = Array.from({ length: 5000 }, (_, i) => srv(`h${i}`, i, 1));
    const got = orderSrv(many, Math.random);
    assert.equal(got.length, MAX_SRV_RECORDS);
    assert.equal(got[0]?.target, 'h0');
  });

  it('uses additional-section addresses for a target, else its name; drops duplicates', () => {
    const addrs: Record<string, string[]> = { 'bs.local': ['192.0.2.1', 'fe80::1'] };
    const got = srvServers(
      [srv('bs.local', 0, 0, 8443), srv('other.example', 1, 0, 443), srv('bs.local', 2, 0, 8443)],
      (t) => addrs[t] ?? [],
    );
    assert.deepEqual(got, [
      { address: '192.0.2.1', port: 8443 },
      { address: 'fe80::1', port: 8443 },
      { address: 'other.example', port: 443 },
    ]);
  });
});
