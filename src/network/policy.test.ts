import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { egressIssues, isDeniedIPv4, parseEgressEntry } from './policy.js';

test('egress entries: CIDR, CIDR:port, address, address:port, host:port', () => {
  assert.deepEqual(parseEgressEntry('203.0.113.0/24'), { kind: 'cidr', cidr: '203.0.113.0/24', port: undefined });
  assert.deepEqual(parseEgressEntry('10.0.0.0/8:5432'), { kind: 'cidr', cidr: '10.0.0.0/8', port: 5432 });
  assert.deepEqual(parseEgressEntry('198.51.100.7'), { kind: 'cidr', cidr: '198.51.100.7/32', port: undefined });
  assert.deepEqual(parseEgressEntry('198.51.100.7:443'), { kind: 'cidr', cidr: '198.51.100.7/32', port: 443 });
  assert.deepEqual(parseEgressEntry('API.Example.com:443'), { kind: 'host', host: 'api.example.com', port: 443 });
});

test('egress entries: loopback names a host service reached through the forwarder', () => {
  assert.deepEqual(parseEgressEntry('127.0.0.1:5432'), { kind: 'service', host: '127.0.0.1', port: 5432 });
  assert.deepEqual(parseEgressEntry('localhost:6379'), { kind: 'service', host: '127.0.0.1', port: 6379 });
  assert.deepEqual(parseEgressEntry('127.0.0.1/32:6379'), { kind: 'service', host: '127.0.0.1', port: 6379 });
  assert.deepEqual(parseEgressEntry('[::1]:6379'), { kind: 'service', host: '::1', port: 6379 });
});

test('egress entries: bad ones say what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['', /must not be empty/],
    ['127.0.0.1', /add a port/],
    ['localhost', /add a port/],
    ['127.0.0.0/8', /one service at a time/],
    ['10.1.2.3/8', /did you mean 10\.0\.0\.0\/8/],
    ['10.0.0.0/33', /prefix length/],
    ['10.0.0.0/8:0', /port must be a number from 1 to 65535/],
    ['1.2.3.4:70000', /port must be/],
    ['api.example.com', /without a port/],
    ['x y:80', /is not host:port/],
    ['300.1.1.1/8', /not an IPv4 address/],
    ['[2001:db8::1]:443', /IPv4 egress only/],
    ['2001:db8::/32', /IPv4 egress only/],
  ];
  for (const [entry, message] of bad) assert.throws(() => parseEgressEntry(entry), message, entry);
  assert.deepEqual(
    egressIssues(['1.2.3.4', 'nope']).map((i) => i.index),
    [1],
  );
});

test('denied ranges: private, loopback, CGNAT, link-local, multicast; not public addresses', () => {
  for (const a of ['10.1.2.3', '127.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '169.254.169.254', '224.0.0.1', '0.0.0.0', '255.255.255.255'])
    assert.equal(isDeniedIPv4(a), true, a);
  for (const a of ['8.8.8.8', '203.0.113.10', '172.32.0.1', '100.128.0.1', '1.1.1.1']) assert.equal(isDeniedIPv4(a), false, a);
});

test('egress table names name the node that made them, whatever letters its pid has in base 36', async () => {
  const { tableOwner } = await import('./egress.js');
  assert.deepEqual(tableOwner('nimbus_dx3_1'), { pid: 18039, tag: 'dx3', block: 1 });
  assert.deepEqual(tableOwner('nimbus_dx3X2_4'), { pid: 18039, tag: 'dx3X2', block: 4 });
  assert.deepEqual(tableOwner(`nimbus_${(4_194_303).toString(36)}_0`)?.pid, 4_194_303);
  assert.equal(tableOwner('nimbus_'), undefined);
  assert.equal(tableOwner('other_abc_1'), undefined);
});
