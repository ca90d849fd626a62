import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, isLoopbackName } from '../src/loopback.ts';

const LOOPBACK_ADDRESSES = [
  '127.0.0.1',
  '127.0.0.2',
  '127.255.255.254',
  '::1',
  '0:0:0:0:0:0:0:1',
  '::ffff:127.0.0.1',
  '::ffff:127.1.2.3',
  '::ffff:7f00:1',
];
const OTHER_ADDRESSES = [
  '128.0.0.1',
  '10.0.0.1',
  '0.0.0.0',
  '::',
  '::2',
  '::ffff:10.0.0.1',
  '127.0.0.256',
  '127.1',
  '127.0.0.1.example.com',
  'localhost',
  '',
];

describe('isLoopbackAddress (who is calling)', () => {
  it.each(LOOPBACK_ADDRESSES)('accepts %s', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });
  it.each(OTHER_ADDRESSES)('refuses "%s"', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
  it('refuses an unknown address', () => {
    expect(isLoopbackAddress(undefined)).toBe(false);
  });
});

describe('isLoopbackName (what a Host or Origin names)', () => {
  it.each([
    ...LOOPBACK_ADDRESSES.filter((a) => !a.includes(':')),
    ...LOOPBACK_ADDRESSES.filter((a) => a.includes(':')).map((a) => `[${a}]`),
    'localhost',
    'LOCALHOST',
    'localhost.',
    'bucket.localhost',
    'a.b.localhost',
  ])('accepts %s', (name) => {
    expect(isLoopbackName(name)).toBe(true);
  });
  it.each([
    '128.0.0.1',
    '[::2]',
    '[::ffff:10.0.0.1]',
    '127.0.0.1.nip.io',
    'localhost.example.com',
    'notlocalhost',
    'example.com',
    '127.999.0.1',
    '',
  ])('refuses "%s"', (name) => {
    expect(isLoopbackName(name)).toBe(false);
  });

  it('agrees with the address rule on every literal address', () => {
    for (const address of [...LOOPBACK_ADDRESSES, ...OTHER_ADDRESSES.filter((a) => a !== 'localhost')]) {
      expect(isLoopbackName(address.includes(':') ? `[${address}]` : address)).toBe(
        isLoopbackAddress(address),
      );
    }
  });

  it('reads a URL hostname as node normalises it', () => {
    expect(isLoopbackName(new URL('http://[::ffff:127.0.0.1]:4566/').hostname)).toBe(true);
    expect(isLoopbackName(new URL('http://bucket.localhost:4566/').hostname)).toBe(true);
    expect(isLoopbackName(new URL('http://evil.example:4566/').hostname)).toBe(false);
  });
});
