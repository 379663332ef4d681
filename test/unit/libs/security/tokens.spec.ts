import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { generateApiKey, generatePassword, hashApiKey } from '@app/security/tokens';

describe('API keys', () => {
  test('format: dbk_ + 43 base64url chars, prefix is the first 10 chars', () => {
    const { key, prefix, hash } = generateApiKey();
    assert.match(key, /^dbk_[A-Za-z0-9_-]{43}$/);
    assert.equal(prefix, key.slice(0, 10));
    assert.ok(prefix.startsWith('dbk_'));
    assert.equal(prefix.length, 10);
    assert.equal(hash, hashApiKey(key));
  });

  test('hash is the stable hex SHA-256 of the key', () => {
    assert.equal(hashApiKey('dbk_example'), createHash('sha256').update('dbk_example').digest('hex'));
    assert.equal(hashApiKey('dbk_example'), hashApiKey('dbk_example'));
    assert.match(hashApiKey('dbk_example'), /^[0-9a-f]{64}$/);
    assert.notEqual(hashApiKey('dbk_example'), hashApiKey('dbk_examplf'));
  });

  test('keys and hashes are unique across draws', () => {
    const keys = new Set<string>();
    const hashes = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const k = generateApiKey();
      keys.add(k.key);
      hashes.add(k.hash);
    }
    assert.equal(keys.size, 200);
    assert.equal(hashes.size, 200);
  });
});

describe('generatePassword', () => {
  const ALLOWED = /^[ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789]+$/;

  test('defaults to 32 characters of the unambiguous alphabet', () => {
    const pw = generatePassword();
    assert.equal(pw.length, 32);
    assert.match(pw, ALLOWED);
  });

  test('honours the requested length', () => {
    assert.equal(generatePassword(8).length, 8);
    assert.equal(generatePassword(64).length, 64);
    assert.equal(generatePassword(0), '');
  });

  test('over 500 draws: never an ambiguous or URI/shell/SQL-special character, all unique', () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const pw = generatePassword();
      assert.match(pw, ALLOWED);
      assert.doesNotMatch(pw, /[0O1lI'"`$;:@/\\%&?#\s]/);
      assert.equal(encodeURIComponent(pw), pw);
      seen.add(pw);
      for (const c of pw) chars.add(c);
    }
    assert.equal(seen.size, 500);
    // 16 000 draws from 57 symbols: every symbol of the alphabet shows up.
    assert.equal(chars.size, 57);
  });
});
