/**
 * resolv.conf defaults for unicast DNS (servers, search domains, `[DNS] servers` syntax).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseResolvConf, parseServer } from '../../../src/dns/resolv-conf.ts';

describe('resolv.conf', () => {
  it('reads nameservers and the last search/domain line', () => {
    assert.deepEqual(
      parseResolvConf(
        '# c\nnameserver 192.0.2.53\nnameserver 2001:db8::53 ; x\ndomain a.test\nsearch b.test c.test.\n',
      ),
      { servers: ['192.0.2.53', '2001:db8::53'], domains: ['b.test', 'c.test'] },
    );
    assert.deepEqual(parseResolvConf(''), { servers: [], domains: [] });
  });

  it('parses [DNS] servers as host[:port] or [v6]:port', () => {
    assert.deepEqual(parseServer('192.0.2.53'), { host: '192.0.2.53', port: 53 });
    assert.deepEqual(parseServer('192.0.2.53:5353'), { host: '192.0.2.53', port: 5353 });
    assert.deepEqual(parseServer('[2001:db8::53]:5300'), { host: '2001:db8::53', port: 5300 });
    assert.deepEqual(parseServer('2001:db8::53'), { host: '2001:db8::53', port: 53 });
    assert.equal(parseServer('host:99999'), undefined);
    assert.equal(parseServer('host:0'), undefined);
  });
});
