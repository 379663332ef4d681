import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CommandValidationException,
  hostKeyFingerprint,
  parseHostKeyFingerprint,
  RegisterHostCommand,
  RegisterStorageBackendCommand,
  SetBackendHostKeyCommand,
  SetHostKeyCommand,
} from '@app/domain';

const GOOD = 'SHA256:uHJv4mCMTfgHXfb6m9vJY6OX9LVxHx5iH9YkKUBbD3k';

describe('host key fingerprints', () => {
  test('the OpenSSH SHA256 form is accepted and normalized (padding dropped, spaces trimmed)', () => {
    assert.equal(parseHostKeyFingerprint(GOOD), GOOD);
    assert.equal(parseHostKeyFingerprint(`${GOOD}=`), GOOD);
    assert.equal(parseHostKeyFingerprint(` ${GOOD}\n`), GOOD);
  });

  test('anything else is refused', () => {
    for (const bad of [
      '',
      'uHJv4mCMTfgHXfb6m9vJY6OX9LVxHx5iH9YkKUBbD3k', // no algorithm
      'MD5:9d:2f:61:4c:8a:3e:1f:5b:c9:7a:22:18:40:9e:6b:0c', // the old MD5 form
      'sha256:uHJv4mCMTfgHXfb6m9vJY6OX9LVxHx5iH9YkKUBbD3k', // case matters
      GOOD.slice(0, -1), // too short
      `${GOOD}A`, // too long
      'SHA256:uHJv4mCMTfgHXfb6m9vJY6OX9LVxHx5iH9YkKUBbD3l', // last char has non-zero padding bits
      'SHA256:uHJv4mCMTfgHXfb6m9vJY6OX9LVxHx5iH9YkKUBb-3k', // not base64
      `${GOOD}==`,
      `${GOOD}\nSHA256:x`,
      42,
      null,
    ])
      assert.equal(parseHostKeyFingerprint(bad), null, JSON.stringify(bad));
  });

  test('the fingerprint of a key is what ssh-keygen -lf prints for it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostkey-'));
    try {
      for (const type of ['ed25519', 'ecdsa', 'rsa']) {
        const file = join(dir, type);
        execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
        const blob = Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1], 'base64');
        const openssh = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
          .toString()
          .split(' ')[1];
        assert.equal(hostKeyFingerprint(blob), openssh, type);
        assert.equal(parseHostKeyFingerprint(openssh), openssh);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('registration takes an optional fingerprint, validated; the confirm command requires one', () => {
    const host = {
      name: 'h-one',
      address: '127.0.0.1',
      capacity: { cpus: 1, memoryMb: 1024, diskGb: 10 },
    };
    assert.equal(RegisterHostCommand.create({ ...host, hostKeyFingerprint: GOOD }).hostKeyFingerprint, GOOD);
    assert.equal(RegisterHostCommand.create(host).hostKeyFingerprint, undefined);
    assert.throws(
      () => RegisterHostCommand.create({ ...host, hostKeyFingerprint: 'MD5:00' }),
      (e: CommandValidationException) => /hostKeyFingerprint must be an OpenSSH SHA256 fingerprint/.test(e.message),
    );
    const backend = {
      name: 'san-one',
      portalAddress: '127.0.0.1',
      sshAddress: '127.0.0.1',
      sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      volumeGroup: 'vg0',
    };
    assert.equal(
      RegisterStorageBackendCommand.create({ ...backend, hostKeyFingerprint: GOOD }).hostKeyFingerprint,
      GOOD,
    );
    assert.throws(() => RegisterStorageBackendCommand.create({ ...backend, hostKeyFingerprint: 'SHA256:short' }));
    const hostId = '00000000-0000-4000-8000-000000000001';
    assert.throws(() => SetHostKeyCommand.create({ hostId }));
    assert.equal(SetHostKeyCommand.create({ hostId, hostKeyFingerprint: GOOD }).hostKeyFingerprint, GOOD);
    assert.throws(() => SetBackendHostKeyCommand.create({ storageBackendId: hostId, hostKeyFingerprint: 'x' }));
    assert.equal(
      SetBackendHostKeyCommand.create({ storageBackendId: hostId, hostKeyFingerprint: GOOD }).hostKeyFingerprint,
      GOOD,
    );
  });
});
