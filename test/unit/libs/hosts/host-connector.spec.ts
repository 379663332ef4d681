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

  test('a stalled event loop does not turn a live host into a failed probe', async () => {
    // A busy worker (CI, a loaded control plane) may run its timers late: the connection and the banner that came
    // in meanwhile are read before the timeout is believed (a false failure feeds the fleet brake).
    const ssh = createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    const port = await new Promise<number>((r) =>
      ssh.listen(0, '127.0.0.1', () => r((ssh.address() as { port: number }).port)),
    );
    try {
      for (let i = 0; i < 5; i++) {
        const probe = sshBanner('127.0.0.1', port, 50);
        const stall = Date.now() + 200;
        while (Date.now() < stall); // the loop blocked past the connect timeout
        await probe;
      }
    } finally {
      ssh.close();
    }
  });
});
