import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '@app/security/secret-box';

const HEX_KEY = 'a1'.repeat(32);
const B64_KEY = Buffer.alloc(32, 7).toString('base64');

/** Flips one bit of the byte at `index` of a base64 field and re-encodes it. */
function flipByte(b64: string, index = 0): string {
  const buf = Buffer.from(b64, 'base64');
  buf[index] ^= 0x01;
  return buf.toString('base64');
}

describe('SecretBox', () => {
  test('seal/open round-trips text, including non-ASCII and empty strings', () => {
    const box = new SecretBox(HEX_KEY);
    for (const plain of ['s3cret-pass', 'ünïcødé ✓ 🔑', '', 'a:b:c']) {
      const sealed = box.seal(plain);
      assert.notEqual(sealed, plain);
      assert.equal(box.open(sealed), plain);
    }
  });

  test('sealed form is v1:<iv>:<tag>:<ciphertext> with a 12-byte iv and 16-byte tag', () => {
    const sealed = new SecretBox(HEX_KEY).seal('hello');
    const parts = sealed.split(':');
    assert.equal(parts.length, 4);
    assert.equal(parts[0], 'v1');
    assert.equal(Buffer.from(parts[1], 'base64').length, 12);
    assert.equal(Buffer.from(parts[2], 'base64').length, 16);
    assert.equal(Buffer.from(parts[3], 'base64').length, 'hello'.length);
    assert.ok(!sealed.includes('hello'));
  });

  test('sealing the same plaintext twice gives different outputs (random iv)', () => {
    const box = new SecretBox(HEX_KEY);
    assert.notEqual(box.seal('same'), box.seal('same'));
  });

  test('a flipped ciphertext byte is detected', () => {
    const box = new SecretBox(HEX_KEY);
    const [v, iv, tag, ct] = box.seal('tamper me').split(':');
    assert.throws(() => box.open([v, iv, tag, flipByte(ct, 3)].join(':')));
  });

  test('a flipped tag or iv byte is detected', () => {
    const box = new SecretBox(HEX_KEY);
    const [v, iv, tag, ct] = box.seal('tamper me').split(':');
    assert.throws(() => box.open([v, iv, flipByte(tag), ct].join(':')));
    assert.throws(() => box.open([v, flipByte(iv), tag, ct].join(':')));
  });

  test('opening with the wrong key throws', () => {
    const sealed = new SecretBox(HEX_KEY).seal('for key A only');
    const other = new SecretBox('b2'.repeat(32));
    assert.throws(() => other.open(sealed));
  });

  test('rejects strings that are not sealed secrets', () => {
    const box = new SecretBox(HEX_KEY);
    assert.throws(() => box.open('plain text'), /not a sealed secret/);
    assert.throws(() => box.open('v2:aaaa:bbbb:cccc'), /not a sealed secret/);
    assert.throws(() => box.open('v1::bbbb:cccc'), /not a sealed secret/);
  });

  test('hex and base64 master keys holding the same bytes are interchangeable', () => {
    const bytes = randomBytes(32);
    const hexBox = new SecretBox(bytes.toString('hex'));
    const b64Box = new SecretBox(bytes.toString('base64'));
    assert.equal(b64Box.open(hexBox.seal('x-y-z')), 'x-y-z');
    assert.equal(hexBox.open(b64Box.seal('z-y-x')), 'z-y-x');
  });

  test('uppercase hex keys are accepted', () => {
    const box = new SecretBox('AB'.repeat(32));
    assert.equal(new SecretBox('ab'.repeat(32)).open(box.seal('case')), 'case');
  });

  test('a base64 key works on its own', () => {
    const box = new SecretBox(B64_KEY);
    assert.equal(box.open(box.seal('base64 key')), 'base64 key');
  });

  test('master keys that are not 32 bytes are rejected', () => {
    assert.throws(() => new SecretBox('ab'.repeat(16)), /32 bytes/);
    assert.throws(() => new SecretBox(Buffer.alloc(16).toString('base64')), /32 bytes/);
    assert.throws(() => new SecretBox(''), /32 bytes/);
  });
});
