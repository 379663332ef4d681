import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ArchiveAuthenticationError,
  decryptArchive,
  encryptArchive,
  generateDataKey,
  Sha256Stream,
} from '@app/security/archive-cipher';

const key = Buffer.from(generateDataKey(), 'base64');
const ID = '3f1c2a9e-8d7b-4c6a-9e5f-0a1b2c3d4e5f';

/** Pushes `input` through `t` in chunks of odd sizes (stream boundaries anywhere) and collects the output. */
async function through(t: Transform, input: Buffer, chunk = 7919): Promise<Buffer> {
  const parts: Buffer[] = [];
  const chunks = function* () {
    for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk);
  };
  t.on('data', (b: Buffer) => parts.push(b));
  await pipeline(Readable.from(chunks()), t);
  return Buffer.concat(parts);
}

describe('backup archive encryption (AES-256-CTR + HMAC-SHA256, node:crypto)', () => {
  const plain = Buffer.concat([Buffer.from('INSERT secret-row-canary;'), randomBytes(300_000)]);

  test('round-trips, with any chunking on either side', async () => {
    const sealed = await through(encryptArchive(key, ID), plain);
    assert.equal(sealed.length, plain.length + 56 + 32, 'header and tag only');
    for (const size of [1, 31, 32, 33, 56, 57, 65536, sealed.length])
      assert.ok((await through(decryptArchive(key, ID), sealed, size)).equals(plain), `chunks of ${size}`);
    const empty = await through(encryptArchive(key, ID), Buffer.alloc(0));
    assert.equal((await through(decryptArchive(key, ID), empty)).length, 0);
  });

  test('nothing of the plaintext shows, and two archives of the same data differ', async () => {
    const a = await through(encryptArchive(key, ID), plain);
    const b = await through(encryptArchive(key, ID), plain);
    assert.equal(a.includes('secret-row-canary'), false);
    assert.equal(a.equals(b), false, 'salt and IV are random');
  });

  test('one flipped bit anywhere (magic, salt, iv, body, tag) is refused', async () => {
    const sealed = await through(encryptArchive(key, ID), plain);
    for (const at of [0, 9, 45, 60, 1000, Math.floor(sealed.length / 2), sealed.length - 33, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 0x01;
      await assert.rejects(through(decryptArchive(key, ID), bad), ArchiveAuthenticationError, `byte ${at}`);
    }
  });

  test('a truncated archive, another key or another backup id is refused', async () => {
    const sealed = await through(encryptArchive(key, ID), plain);
    for (const cut of [0, 10, 56, 88, sealed.length - 1])
      await assert.rejects(through(decryptArchive(key, ID), sealed.subarray(0, cut)), ArchiveAuthenticationError);
    await assert.rejects(through(decryptArchive(randomBytes(32), ID), sealed), ArchiveAuthenticationError);
    await assert.rejects(
      through(decryptArchive(key, '00000000-0000-4000-8000-000000000000'), sealed),
      ArchiveAuthenticationError,
    );
    // A plain tar.gz (a backup of before encryption) is not taken for an encrypted one.
    await assert.rejects(through(decryptArchive(key, ID), Buffer.from([0x1f, 0x8b, 8, 0, ...randomBytes(200)])));
  });

  test('keys must be 32 bytes', () => {
    assert.throws(() => encryptArchive(randomBytes(16), ID), /32 bytes/);
  });

  test('Sha256Stream passes bytes through and hashes them', async () => {
    const h = new Sha256Stream();
    const out = await through(h, plain);
    assert.ok(out.equals(plain));
    assert.equal(h.hex(), createHash('sha256').update(plain).digest('hex'));
  });
});
