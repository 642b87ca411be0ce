import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHttpsHostPort } from '../../../src/lib/https-uri.ts';

test('parseHttpsHostPort: host, IPv4, IPv6 literal, default port 443, trailing slash tolerated', () => {
  assert.deepEqual(parseHttpsHostPort('https://sztp.example.com'), {
    ok: true,
    address: 'sztp.example.com',
    port: 443,
  });
  assert.deepEqual(parseHttpsHostPort('https://192.0.2.1:8443/'), { ok: true, address: '192.0.2.1', port: 8443 });
  assert.deepEqual(parseHttpsHostPort('https://[2001:db8::1]:8443'), { ok: true, address: '2001:db8::1', port: 8443 });
});

test('parseHttpsHostPort: every other form is refused with a reason', () => {
  const cases: [string, RegExp][] = [
    ['not a uri', /not a URI/],
    ['http://h', /scheme must be https/],
    ['https://user:pw@h', /user info/],
    ['https://h/restconf', /without path/],
    ['https://h/?x=1', /without path/],
    ['https://h/?', /without path/],
    ['https://h#frag', /without path/],
  ];
  for (const [uri, reason] of cases) {
    const r = parseHttpsHostPort(uri);
    assert.equal(r.ok, false, uri);
    if (!r.ok) assert.match(r.reason, reason, uri);
  }
});
