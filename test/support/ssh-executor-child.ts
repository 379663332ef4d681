// A separate process that holds one SshExecutor and runs what its parent asks over IPC: a test can break the SSH
// session under it and see whether the process survives (nothing here catches process-level errors).
import { SshExecutor } from '../../libs/hosts/src/executors/ssh-executor';

type Msg = {
  id: number;
  op: 'init' | 'run' | 'spawn';
  target?: never;
  options?: never;
  argv?: string[];
  timeoutMs?: number;
  feedMs?: number;
};

let executor: SshExecutor | undefined;
const reply = (id: number, body: Record<string, unknown>) => process.send!({ id, ...body });

process.on('message', (m: Msg) => {
  const started = Date.now();
  const ok = (value: unknown) => reply(m.id, { ok: true, value, ms: Date.now() - started });
  const fail = (err: Error) => reply(m.id, { ok: false, error: err.message, ms: Date.now() - started });
  if (m.op === 'init') {
    executor = new SshExecutor(m.target!, undefined, m.options);
    return ok(null);
  }
  if (m.op === 'run') return void executor!.run(m.argv!, { timeoutMs: m.timeoutMs }).then(ok, fail);
  // spawn: replies once the program is done (its exit code and stderr); `feedMs` keeps writing to its stdin.
  return void executor!
    .spawn(m.argv!)
    .then((s) => {
      s.stdout.resume();
      s.stdin.on('error', () => undefined);
      const feed = m.feedMs ? setInterval(() => s.stdin.writable && s.stdin.write('x\n'), m.feedMs) : undefined;
      return s.done.finally(() => clearInterval(feed));
    })
    .then(ok, fail);
});
