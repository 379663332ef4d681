import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { sshBanner } from '@app/hosts/host-connector';

describe('SSH banner probe', () => {
  test('a listening SSH server answers; a closed port and a silent listener do not', async () => {
    const ssh = createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    const silent = createServer(() => undefined);
    const http = createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const listen = (srv: ReturnType<typeof createServer>) =>
      new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
    const [p1, p2, p3] = [await listen(ssh), await listen(silent), await listen(http)];
    try {
      await sshBanner('127.0.0.1', p1, 1000);
      await assert.rejects(sshBanner('127.0.0.1', p2, 1000, 200), /no SSH banner within 200 ms/);
      await assert.rejects(sshBanner('127.0.0.1', p3, 1000), /not an SSH server/);
      ssh.close();
      await assert.rejects(sshBanner('127.0.0.1', p1, 1000), /ECONNREFUSED|closed/);
    } finally {
      for (const s of [ssh, silent, http]) s.close();
    }
  });
});
